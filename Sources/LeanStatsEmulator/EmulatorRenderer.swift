import Foundation
import LeanStatsCore

/// Writes instance details the way each DingTalk API family returns them (`docs/dingtalk-api-notes.md` §6, §7): no
/// instance id in the body, Beijing wall-clock times (`yyyy-MM-dd HH:mm:ss` legacy, `yyyy-MM-ddTHH:mmZ` v1.0), `result`
/// empty while running, select values as labels with `{label,key}` ext values, and empty optional fields as the string
/// `"null"`.
struct EmulatorRenderer: Sendable {
    let beijing: ZoneClock
    let processCode: String

    /// The approver every emulated instance goes to.
    static let approver = "manager0001"

    /// The v1.0 status of a stored status (v1.0 knows only RUNNING, TERMINATED and COMPLETED).
    static func v1Status(_ status: InstanceStatus?) -> String {
        switch status {
        case .new, .running, nil: "RUNNING"
        case .completed: "COMPLETED"
        case .terminated, .canceled: "TERMINATED"
        }
    }

    /// The legacy `process_instance` object.
    func legacyDetail(_ record: InstanceRecord) -> [String: Any] {
        var instance: [String: Any] = [
            "title": record.title ?? "",
            "create_time": beijing.format(record.createTime),
            "originator_userid": record.originatorUserId ?? "",
            "originator_dept_id": record.originatorDeptId ?? "-1",
            "originator_dept_name": record.originatorDeptName ?? "",
            "status": (record.status ?? .running).code,
            "business_id": record.businessId ?? "",
            "biz_action": "NONE",
            "attached_process_instance_ids": [String](),
            "cc_userids": [String](),
            "form_component_values": components(record, legacy: true),
            "operation_records": operations(record).map { operation in
                var entry: [String: Any] = [
                    "userid": operation.user, "date": beijing.format(operation.time),
                    "operation_type": operation.type, "operation_result": operation.result,
                ]
                if operation.type == "EXECUTE_TASK_NORMAL" { entry["remark"] = "" }
                return entry
            },
            "tasks": task(record).map { task in
                var entry: [String: Any] = [
                    "userid": Self.approver, "task_status": task.status, "task_result": task.result,
                    "taskid": String(task.id), "activity_id": "sid-approve-1",
                    "url": "https://aflow.dingtalk.com/dingtalk/pc/query/pchomepage.htm?taskId=\(task.id)",
                    "create_time": beijing.format(record.createTime),
                ]
                if let finish = task.finish { entry["finish_time"] = beijing.format(finish) }
                return entry
            },
        ]
        if let finish = record.finishTime { instance["finish_time"] = beijing.format(finish) }
        if let result = record.result { instance["result"] = result.code }
        return instance
    }

    /// The v1.0 `result` object.
    func v1Detail(_ record: InstanceRecord) -> [String: Any] {
        var instance: [String: Any] = [
            "title": record.title ?? "",
            "createTime": minute(record.createTime),
            "originatorUserId": record.originatorUserId ?? "",
            "originatorDeptId": record.originatorDeptId ?? "-1",
            "originatorDeptName": record.originatorDeptName ?? "",
            "status": Self.v1Status(record.status),
            "result": record.result?.code ?? "",
            "businessId": record.businessId ?? "",
            "bizAction": "NONE",
            "bizData": "",
            "attachedProcessInstanceIds": [String](),
            "ccUserIds": [String](),
            "formComponentValues": components(record, legacy: false),
            "operationRecords": operations(record).map { operation in
                [
                    "userId": operation.user, "date": minute(operation.time), "type": operation.type,
                    "result": operation.result, "showName": operation.label, "images": [String](),
                ] as [String: Any]
            },
            "tasks": task(record).map { task in
                var entry: [String: Any] = [
                    "userId": Self.approver, "status": task.status, "result": task.result, "taskId": task.id,
                    "activityId": "sid-approve-1", "createTime": minute(record.createTime),
                    "pcUrl": "aflow.dingtalk.com?taskId=\(task.id)&businessId=\(record.businessId ?? "")",
                    "mobileUrl": "aflow.dingtalk.com?taskId=\(task.id)&businessId=\(record.businessId ?? "")",
                ]
                if let finish = task.finish { entry["finishTime"] = minute(finish) }
                return entry
            },
        ]
        if let finish = record.finishTime { instance["finishTime"] = minute(finish) }
        return instance
    }

    /// A v1.0 time: Beijing wall time to the minute with a literal `Z`.
    private func minute(_ instant: Int64) -> String {
        String(beijing.format(instant).prefix(16)).replacingOccurrences(of: " ", with: "T") + "Z"
    }

    private struct Operation {
        var user: String
        var time: Int64
        var type: String
        var result: String
        var label: String
    }

    private func operations(_ record: InstanceRecord) -> [Operation] {
        var list = [
            Operation(
                user: record.originatorUserId ?? "",
                time: record.createTime,
                type: "START_PROCESS_INSTANCE",
                result: "NONE",
                label: "提交申请"
            )
        ]
        if let finish = record.finishTime {
            switch record.status {
            case .terminated, .canceled:
                list.append(
                    Operation(
                        user: record.originatorUserId ?? "",
                        time: finish,
                        type: "TERMINATE_PROCESS_INSTANCE",
                        result: "NONE",
                        label: "撤销"
                    )
                )
            default:
                list.append(
                    Operation(
                        user: Self.approver,
                        time: finish,
                        type: "EXECUTE_TASK_NORMAL",
                        result: record.result == .refuse ? "REFUSE" : "AGREE",
                        label: "审批"
                    )
                )
            }
        }
        return list
    }

    private struct Task {
        var id: Int64
        var status: String
        var result: String
        var finish: Int64?
    }

    private func task(_ record: InstanceRecord) -> [Task] {
        let id = Int64(abs(stableHash(record.instanceId)) % 900_000_000_000) + 100_000_000_000
        switch record.status {
        case .completed:
            return [
                Task(
                    id: id,
                    status: "COMPLETED",
                    result: record.result == .refuse ? "REFUSE" : "AGREE",
                    finish: record.finishTime
                )
            ]
        case .terminated, .canceled:
            return [Task(id: id, status: "CANCELED", result: "NONE", finish: record.finishTime)]
        default:
            return [Task(id: id, status: "RUNNING", result: "NONE", finish: nil)]
        }
    }

    /// The form components: the record's fields typed by their content, plus the empty optional fields a real
    /// template has (`"null"` values) and a nameless note.
    private func components(_ record: InstanceRecord, legacy: Bool) -> [[String: Any]] {
        let typeKey = legacy ? "component_type" : "componentType"
        let extKey = legacy ? "ext_value" : "extValue"
        var list: [[String: Any]] = []
        var hasCategory = false
        for field in record.formFields {
            var entry: [String: Any] = ["name": field.name, "value": field.value]
            if field.name == categoryFieldName {
                hasCategory = true
                entry[typeKey] = "DDSelectField"
                entry["id"] = "DDSelectField-CATEGORY01"
                let key = "option_\(String(abs(stableHash(field.value)) % 0xFFFFFF, radix: 16, uppercase: true))"
                entry[extKey] = #"{"label":"\#(jsonEscaped(field.value))","key":"\#(key)"}"#
            } else if Double(field.value) != nil {
                entry[typeKey] = "NumberField"
                entry["id"] = "NumberField-\(abs(stableHash(field.name)) % 100_000)"
            } else if field.value.contains("\n") {
                entry[typeKey] = "TextareaField"
                entry["id"] = "TextareaField-\(abs(stableHash(field.name)) % 100_000)"
            } else {
                entry[typeKey] = "TextField"
                entry["id"] = "TextField-\(abs(stableHash(field.name)) % 100_000)"
            }
            if !legacy { entry["bizAlias"] = "" }
            list.append(entry)
        }
        if !hasCategory {
            list.append([
                typeKey: "DDSelectField", "id": "DDSelectField-CATEGORY01", "name": categoryFieldName, "value": "",
            ])
        }
        list.append([typeKey: "TextareaField", "id": "TextareaField-NOTES001", "name": "补充说明", "value": "null"])
        list.append([typeKey: "DDPhotoField", "id": "DDPhotoField-PHOTOS01", "name": "现场照片", "value": "null"])
        list.append([typeKey: "DDAttachment", "id": "DDAttachment-FILES001", "name": "附件", "value": "null"])
        list.append([typeKey: "TextNote", "id": "TextNote-HINT0001", "value": "请如实填写改善前后的对比"])
        return list
    }

    private func jsonEscaped(_ text: String) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        else { return text }
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst(2).dropLast(2))
    }
}

/// A hash that is the same in every process (Swift's `hashValue` is seeded per process).
func stableHash(_ text: String) -> Int64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return Int64(bitPattern: hash >> 1)
}
