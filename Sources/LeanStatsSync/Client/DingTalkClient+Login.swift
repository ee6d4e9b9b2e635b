import Foundation

/// A user of the organisation as the contacts API describes them for a dashboard login.
public struct ContactProfile: Sendable, Equatable {
    /// The user id.
    public var userId: String
    /// The display name.
    public var name: String?
    /// The departments the user belongs to.
    public var departmentIds: [Int64]
    /// The departments the user heads (`leader_in_dept` with `leader` true).
    public var leaderOf: [Int64]

    /// Creates a profile.
    public init(userId: String, name: String?, departmentIds: [Int64], leaderOf: [Int64]) {
        self.userId = userId
        self.name = name
        self.departmentIds = departmentIds
        self.leaderOf = leaderOf
    }
}

/// One department of the organisation's tree as `department/listsub` lists it.
public struct ContactDepartmentNode: Sendable, Equatable {
    /// The department id (the root is 1).
    public var id: Int64
    /// The department's name.
    public var name: String
    /// The parent department's id.
    public var parentId: Int64?

    /// Creates a department node.
    public init(id: Int64, name: String, parentId: Int64?) {
        self.id = id
        self.name = name
        self.parentId = parentId
    }
}

extension DingTalkClient {
    /// Exchanges the authorisation code of a DingTalk login for the user's access token
    /// (`POST /v1.0/oauth2/userAccessToken`, not metered).
    /// - Parameter authCode: The `authCode` DingTalk passed to the login callback.
    /// - Returns: The user's access token.
    /// - Throws: ``SyncError``: `.request` when DingTalk refuses the code (used, expired or for another app),
    ///   `.credentials` when it refuses the app key or secret.
    public func userAccessToken(authCode: String) async throws(SyncError) -> String {
        let call = DingTalkCall.userAccessToken(code: authCode)
        let object = try await executor.perform(call, tokens: nil)
        guard let token = object.text("accessToken"), !token.isEmpty else {
            throw executor.unexpected(call, "no accessToken")
        }
        return token
    }

    /// Reads the signed-in user's union id with their access token (`GET /v1.0/contact/users/me`, not metered).
    /// - Parameter userAccessToken: The token from ``userAccessToken(authCode:)``.
    /// - Returns: The user's union id (the same for every app of the organisation).
    /// - Throws: ``SyncError``.
    public func unionId(userAccessToken: String) async throws(SyncError) -> String {
        let call = DingTalkCall.currentUser(userToken: userAccessToken)
        let object = try await executor.perform(call, tokens: nil)
        guard let unionId = object.text("unionId"), !unionId.isEmpty else {
            throw executor.unexpected(call, "no unionId")
        }
        return unionId
    }

    /// Finds the organisation's user id of a union id (`POST /topapi/user/getbyunionid`, contacts).
    /// - Parameter unionId: The union id from ``unionId(userAccessToken:)``.
    /// - Returns: The user id, or `nil` when the user is not a member of the organisation (errcode 60121).
    /// - Throws: ``SyncError``.
    public func userId(unionId: String) async throws(SyncError) -> String? {
        let call = DingTalkCall.userIdByUnionId(unionId: unionId)
        let object: JSONObject
        do {
            object = try await executor.perform(call, tokens: tokens)
        } catch  where error.code == .notFound {
            return nil
        }
        guard let userId = object.object("result")?.text("userid"), !userId.isEmpty else {
            throw executor.unexpected(call, "no result.userid")
        }
        return userId
    }

    /// Reads a user's name, departments and the departments they head (`POST /topapi/v2/user/get`, contacts).
    /// - Parameter userId: The user id.
    /// - Returns: The profile, or `nil` when DingTalk does not know the user.
    /// - Throws: ``SyncError``.
    public func profile(userId: String) async throws(SyncError) -> ContactProfile? {
        do {
            let object = try await executor.perform(.user(userId: userId), tokens: tokens)
            let result = object.object("result")
            let departments = (result?.fields["dept_id_list"] as? [Any] ?? []).compactMap(JSONObject.integer)
            let leads = (result?.fields["leader_in_dept"] as? [Any] ?? []).compactMap { entry -> Int64? in
                guard let fields = entry as? [String: Any] else { return nil }
                let leader = fields["leader"]
                let isLeader = (leader as? Bool) ?? (JSONObject.text(leader) == "true")
                return isLeader ? JSONObject.integer(fields["dept_id"]) : nil
            }
            return ContactProfile(
                userId: userId,
                name: result?.text("name").flatMap { $0.isEmpty ? nil : $0 },
                departmentIds: departments,
                leaderOf: leads
            )
        } catch  where error.code == .notFound {
            return nil
        }
    }

    /// Lists the direct sub-departments of a department (`POST /topapi/v2/department/listsub`, contacts).
    /// - Parameter id: The department id, 1 for the root.
    /// - Returns: The sub-departments, none for a leaf or an unknown department.
    /// - Throws: ``SyncError``.
    public func subDepartments(of id: Int64) async throws(SyncError) -> [ContactDepartmentNode] {
        let call = DingTalkCall.subDepartments(id: id)
        do {
            let object = try await executor.perform(call, tokens: tokens)
            let entries = object.fields["result"] as? [Any] ?? []
            return entries.compactMap { entry -> ContactDepartmentNode? in
                guard let fields = entry as? [String: Any], let id = JSONObject.integer(fields["dept_id"]) else {
                    return nil
                }
                return ContactDepartmentNode(
                    id: id,
                    name: JSONObject.text(fields["name"]) ?? "",
                    parentId: JSONObject.integer(fields["parent_id"])
                )
            }
        } catch  where error.code == .notFound {
            return []
        }
    }
}
