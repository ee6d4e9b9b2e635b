import Foundation
import LeanStatsCore

/// The approval APIs: listing instance ids and reading one instance, in both families.
extension DingTalkEmulator {
    /// DingTalk's listing rules (`docs/dingtalk-api-notes.md` §5).
    enum ListRules {
        static let maxPageSize: Int64 = 20
        static let maxWindow: Int64 = 120 * 86_400_000
        static let maxLookback: Int64 = 365 * 86_400_000
        static let maxUsers = 10
    }

    /// A listing request, either family.
    struct ListRequest {
        var processCode: String?
        var start: Int64?
        var end: Int64?
        var cursor: Int64?
        var size: Int64?
        var users: [String]
        var statuses: [String]
    }

    /// Why a listing request is refused.
    enum ListProblem: Error {
        case processCode
        case missingStart
        case window(String)
        case pageSize
        case cursor
        case users
    }

    /// Applies the listing rules and returns one page: the ids and the next cursor (`nil` on the last page).
    func list(_ request: ListRequest) -> Result<(ids: [String], next: Int64?), ListProblem> {
        guard request.processCode == options.processCode else { return .failure(.processCode) }
        guard let size = request.size, size >= 1, size <= ListRules.maxPageSize else { return .failure(.pageSize) }
        guard let cursor = request.cursor, cursor >= 0 else { return .failure(.cursor) }
        guard request.users.count <= ListRules.maxUsers else { return .failure(.users) }
        guard let start = request.start else { return .failure(.missingStart) }
        let now = clock.now()
        if let end = request.end {
            if end < start { return .failure(.window("the end time is before the start time")) }
            if end - start > ListRules.maxWindow { return .failure(.window("the range is longer than 120 days")) }
            if start < now - ListRules.maxLookback {
                return .failure(.window("the start time is more than 365 days ago"))
            }
        } else if start < now - ListRules.maxWindow {
            return .failure(.window("without an end time the start time must be within 120 days"))
        }
        let ids = state.withLock {
            $0.ids(
                from: start,
                through: request.end ?? now,
                now: now,
                users: Set(request.users),
                statuses: Set(request.statuses)
            )
        }
        let reachable = min(ids.count, options.listCap)
        let first = Int(min(cursor, Int64(reachable)))
        let last = min(first + Int(size), reachable)
        let page = Array(ids[first..<last])
        switch state.withLock({ $0.faults.listingLoop }) {
        case nil:
            return .success((page, last < reachable ? Int64(last) : nil))
        case .repeatedCursor:
            noteFault("loop")
            return .success((page, size))
        case .endlessCursor:
            noteFault("loop")
            return .success((page, cursor + size))
        }
    }

    func legacyList(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.legacyParameters(request) else {
            return legacyError(43004, "无效的HTTP HEADER Content-Type")
        }
        let users = (Self.text(body["userid_list"]) ?? "").split(separator: ",").map(String.init)
        let parsed = ListRequest(
            processCode: Self.text(body["process_code"]),
            start: Self.integer(body["start_time"]),
            end: body["end_time"] == nil ? nil : Self.integer(body["end_time"]) ?? -1,
            cursor: body["cursor"] == nil ? 0 : Self.integer(body["cursor"]),
            size: body["size"] == nil ? ListRules.maxPageSize : Self.integer(body["size"]),
            users: users,
            statuses: []
        )
        switch list(parsed) {
        case .success(let page):
            var result: [String: Any] = ["list": page.ids]
            if let next = page.next { result["next_cursor"] = next }
            return .json(200, ["errcode": 0, "errmsg": "ok", "result": result, "request_id": requestId()])
        case .failure(.processCode):
            return legacyError(830001, "流程不存在 (process_code not found)")
        case .failure(.missingStart):
            return legacyError(40035, "缺少参数 start_time")
        case .failure(.window(let why)):
            return legacyError(400002, "invalidEndTime: 结束时间不能小于开始时间；且查询时间范围不能超过120天 (\(why))")
        case .failure(.pageSize):
            return legacyError(400002, "参数错误: size 最大值为20")
        case .failure(.cursor):
            return legacyError(400002, "参数错误: cursor 不合法")
        case .failure(.users):
            return legacyError(400002, "参数错误: userid_list 最多10个")
        }
    }

    func v1List(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.jsonObject(request.body) else {
            return v1Error(400, "MissingParameter", "body is mandatory")
        }
        let parsed = ListRequest(
            processCode: body["processCode"] as? String,
            start: Self.integer(body["startTime"]),
            end: body["endTime"] == nil ? nil : Self.integer(body["endTime"]) ?? -1,
            cursor: Self.integer(body["nextToken"]),
            size: Self.integer(body["maxResults"]),
            users: body["userIds"] as? [String] ?? [],
            statuses: body["statuses"] as? [String] ?? []
        )
        switch list(parsed) {
        case .success(let page):
            var result: [String: Any] = ["list": page.ids]
            if let next = page.next { result["nextToken"] = String(next) }
            return .json(200, ["result": result, "success": true])
        case .failure(.processCode):
            return v1Error(400, "invalidProcessCode", "processCode不存在")
        case .failure(.missingStart):
            return v1Error(400, "invalidInstanceListIdsStartTime", "开始时间不合法")
        case .failure(.window):
            return v1Error(400, "invalidEndTime", "结束时间不能小于开始时间；且查询时间范围不能超过120天")
        case .failure(.pageSize):
            return v1Error(400, "invalidMaxResults", "每页大小，最多传20")
        case .failure(.cursor):
            return v1Error(400, "invalidNextToken", "nextToken不合法")
        case .failure(.users):
            return v1Error(400, "invalidUserIds", "userIds最多传10个")
        }
    }

    /// The instance with an id, if it exists and was created by the emulated "now".
    private func visibleRecord(_ id: String) -> InstanceRecord? {
        let now = clock.now()
        return state.withLock { $0.record(id) }.flatMap { $0.createTime * 1000 <= now ? $0 : nil }
    }

    func legacyDetail(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.legacyParameters(request) else {
            return legacyError(43004, "无效的HTTP HEADER Content-Type")
        }
        guard let id = Self.text(body["process_instance_id"]), !id.isEmpty else {
            return legacyError(40035, "缺少参数 process_instance_id")
        }
        guard let record = visibleRecord(id) else {
            return legacyError(400002, "审批实例不存在 (process instance not found)")
        }
        return .json(
            200,
            [
                "errcode": 0, "errmsg": "ok", "request_id": requestId(),
                "process_instance": renderer.legacyDetail(record),
            ]
        )
    }

    func v1Detail(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let id = request.query["processInstanceId"], !id.isEmpty else {
            return v1Error(400, "invalidParameter", "processInstanceId不能为空")
        }
        guard let record = visibleRecord(id) else {
            return v1Error(400, "processInstanceNotExist", "审批实例不存在")
        }
        return .json(200, ["result": renderer.v1Detail(record), "success": true])
    }

    // MARK: - Contacts

    func user(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.legacyParameters(request), let id = Self.text(body["userid"]), !id.isEmpty else {
            return legacyError(400002, "参数错误: userid 不能为空")
        }
        guard let user = state.withLock({ $0.users[id] }) else {
            return legacyError(60121, "找不到该用户")
        }
        let departments = user.departments.map { Int64($0) ?? 1 }
        let headed = Set(state.withLock { $0.organisation.departmentsHeaded(by: id) })
        let leaders = Set(departments).union(headed).sorted().map { dept -> [String: Any] in
            ["dept_id": dept, "leader": headed.contains(dept)]
        }
        return .json(
            200,
            [
                "errcode": 0, "errmsg": "ok", "request_id": requestId(),
                "result": [
                    "userid": id, "unionid": EmulatedOrganisation.unionId(of: id), "name": user.name ?? "",
                    "dept_id_list": departments, "leader_in_dept": leaders, "active": true, "admin": false,
                    "title": headed.isEmpty ? "员工" : "部门负责人",
                ] as [String: Any],
            ]
        )
    }

    func department(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.legacyParameters(request), let id = Self.integer(body["dept_id"]) else {
            return legacyError(400002, "参数错误: dept_id 不能为空")
        }
        guard let department = state.withLock({ $0.departments[String(id)] }) else {
            return legacyError(60003, "部门不存在")
        }
        var result: [String: Any] = [
            "dept_id": id, "name": department.name, "member_count": department.memberCount, "order": 0,
        ]
        if let parent = state.withLock({ $0.organisation.department(id)?.parentId }) { result["parent_id"] = parent }
        return .json(200, ["errcode": 0, "errmsg": "ok", "request_id": requestId(), "result": result])
    }
}
