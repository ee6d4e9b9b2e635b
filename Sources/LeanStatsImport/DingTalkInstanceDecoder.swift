import Foundation
import LeanStatsCore

/// Turns one DingTalk instance detail into an `InstanceRecord`, whichever API shape it comes in.
///
/// Accepted shapes (see `docs/dingtalk-api-notes.md` §6 and `docs/import-formats.md` §1):
/// - the legacy response `{"errcode":0,"process_instance":{…}}` or the bare `process_instance` object
///   (snake_case keys, times `yyyy-MM-dd HH:mm:ss` local or epoch milliseconds);
/// - the v1.0 response `{"result":{…}}` or the bare `result` object (camelCase keys, times like
///   `2022-08-31T11:52Z`, which is local wall time with a literal `Z`, or epoch milliseconds).
///
/// The detail APIs do not return the instance's own id: pass it, or put it beside the detail as
/// `process_instance_id` / `processInstanceId`. Without it the decoder uses a task's `processInstanceId` (or the
/// `procInsId` of a task URL), then the business id. Numbers may come as JSON numbers or numeric strings; the
/// placeholder `"null"` and empty strings count as absent.
public struct DingTalkInstanceDecoder: Sendable {
    /// The zone local times are read in.
    public let clock: ZoneClock

    /// Creates a decoder.
    /// - Parameter clock: The zone of the local times in the details (DingTalk writes Beijing time, Asia/Shanghai;
    ///   `leanstats import` and `leanstats sync` both read them so, and so give an instance the same times).
    public init(clock: ZoneClock) {
        self.clock = clock
    }

    /// Decodes one JSON body, e.g. an HTTP response of the detail API.
    /// - Parameters:
    ///   - data: The JSON text of one object.
    ///   - instanceId: The instance id when the caller knows it; it wins over ids found in the object.
    /// - Returns: The record.
    /// - Throws: ``DingTalkDecodingError`` when the body is not a JSON object, is an error response, or lacks a
    ///   readable create time or any id.
    public func decode(_ data: Data, instanceId: String? = nil) throws(DingTalkDecodingError) -> InstanceRecord {
        try decodeReconciled(data, instanceId: instanceId).record
    }

    /// Decodes one JSON body given as bytes.
    /// - Parameters:
    ///   - bytes: The JSON text of one object.
    ///   - instanceId: The instance id when the caller knows it.
    /// - Returns: The record.
    /// - Throws: ``DingTalkDecodingError``, as for a `Data` body.
    public func decode(_ bytes: [UInt8], instanceId: String? = nil) throws(DingTalkDecodingError) -> InstanceRecord {
        try decode(Data(bytes), instanceId: instanceId)
    }

    /// Decodes one object as `JSONSerialization` returns it.
    /// - Parameters:
    ///   - object: A detail response or a bare instance object, legacy or v1.0.
    ///   - instanceId: The instance id when the caller knows it; it wins over ids found in the object.
    /// - Returns: The record.
    /// - Throws: ``DingTalkDecodingError`` for an error response, a missing or unreadable create time, an
    ///   unreadable finish time, status or result, or when no id can be found.
    public func decode(
        _ object: [String: Any],
        instanceId: String? = nil
    ) throws(DingTalkDecodingError) -> InstanceRecord {
        try decodeReconciled(object, instanceId: instanceId).record
    }

    /// Decodes one JSON body and reports what the v1.0 time cross-check found.
    /// - Parameters:
    ///   - data: The JSON text of one object.
    ///   - instanceId: The instance id when the caller knows it.
    /// - Returns: The record and the cross-check's verdict (``InstanceTimeReconciler/Verdict/consistent`` for a
    ///   legacy detail).
    /// - Throws: ``DingTalkDecodingError``, as ``decode(_:instanceId:)-(Data,_)`` does.
    package func decodeReconciled(
        _ data: Data,
        instanceId: String? = nil
    ) throws(DingTalkDecodingError) -> (record: InstanceRecord, verdict: InstanceTimeReconciler.Verdict) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DingTalkDecodingError(code: .invalidJSON, message: "not valid JSON (\(Self.detail(of: error)))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw DingTalkDecodingError(code: .notAnObject, message: "the JSON value is not an object")
        }
        return try decodeReconciled(dictionary, instanceId: instanceId)
    }

    /// Decodes one object and, for a v1.0 detail (camelCase `createTime`), settles its times with
    /// ``InstanceTimeReconciler``.
    private func decodeReconciled(
        _ object: [String: Any],
        instanceId: String?
    ) throws(DingTalkDecodingError) -> (record: InstanceRecord, verdict: InstanceTimeReconciler.Verdict) {
        var record = try decodeRaw(object, instanceId: instanceId)
        guard record.isV1 else { return (record.value, .consistent) }
        let verdict = InstanceTimeReconciler.reconcile(&record.value, beijing: clock)
        do {
            _ = try InstanceFieldRules.supported(
                record.value.createTime,
                column: "createTime",
                text: clock.format(record.value.createTime)
            )
            if let finish = record.value.finishTime {
                _ = try InstanceFieldRules.supported(finish, column: "finishTime", text: clock.format(finish))
            }
        } catch {
            throw DingTalkDecodingError(code: .invalidValue, message: error.reason)
        }
        return (record.value, verdict)
    }

    /// Decodes one object without the v1.0 cross-check; `isV1` tells whether it applies.
    private func decodeRaw(
        _ object: [String: Any],
        instanceId: String?
    ) throws(DingTalkDecodingError) -> (value: InstanceRecord, isV1: Bool) {
        let (instance, outer) = try Self.unwrap(object)
        func field(_ keys: String...) -> (key: String, value: Any)? { Self.lookup(instance, keys) }
        func text(_ keys: String...) -> String? { Self.lookup(instance, keys).flatMap { Self.presentText($0.value) } }

        let businessId = text("business_id", "businessId")
        guard let createField = field("create_time", "createTime"),
            let createTime = try time(createField)
        else {
            throw DingTalkDecodingError(
                code: .missingValue,
                message: "the create time (create_time / createTime) is missing"
            )
        }
        let finishTime = try field("finish_time", "finishTime").flatMap { found throws(DingTalkDecodingError) in
            try time(found)
        }
        var status: InstanceStatus?
        var result: InstanceResult?
        do {
            if let found = field("status"), let code = Self.presentText(found.value) {
                status = try InstanceFieldRules.status(code, column: found.key)
            }
            if let found = field("result"), let code = Self.presentText(found.value) {
                result = try InstanceFieldRules.result(code, column: found.key)
            }
        } catch {
            throw DingTalkDecodingError(code: .invalidValue, message: error.reason)
        }
        let idKeys = ["process_instance_id", "processInstanceId"]
        let nameKeys = ["originator_user_name", "originatorUserName"]
        let id =
            instanceId.flatMap(Self.presentText)
            ?? outer.flatMap { Self.lookup($0, idKeys) }.flatMap { Self.presentText($0.value) }
            ?? Self.lookup(instance, idKeys).flatMap { Self.presentText($0.value) }
            ?? Self.taskInstanceId(instance)
            ?? businessId
        guard let id else {
            throw DingTalkDecodingError(
                code: .missingValue,
                message: "no instance id: put process_instance_id / processInstanceId beside the detail"
            )
        }
        let userName =
            Self.lookup(instance, nameKeys).flatMap { Self.presentText($0.value) }
            ?? outer.flatMap { Self.lookup($0, nameKeys) }.flatMap { Self.presentText($0.value) }
        let components = field("form_component_values", "formComponentValues")?.value as? [Any] ?? []
        let formFields = components.compactMap { ($0 as? [String: Any]).flatMap(Self.formField) }
        do {
            for field in formFields where field.name == StatisticsEngine.defaultBenefitField {
                try InstanceFieldRules.benefit(field.value, field: field.name)
            }
        } catch {
            throw DingTalkDecodingError(code: .invalidValue, message: error.reason)
        }
        let record = InstanceRecord(
            instanceId: id,
            businessId: businessId,
            title: text("title"),
            createTime: createTime,
            finishTime: finishTime,
            status: status,
            result: result,
            originatorUserId: text("originator_userid", "originatorUserId", "originator_user_id"),
            originatorUserName: userName,
            originatorDeptId: text("originator_dept_id", "originatorDeptId"),
            originatorDeptName: text("originator_dept_name", "originatorDeptName"),
            formFields: formFields
        )
        return (record, createField.key == "createTime")
    }

    // MARK: - Shapes

    /// Finds the instance object and the object around it, rejecting error responses.
    private static func unwrap(
        _ object: [String: Any]
    ) throws(DingTalkDecodingError) -> (instance: [String: Any], outer: [String: Any]?) {
        if let found = lookup(object, ["errcode"]), let code = presentText(found.value), code != "0" {
            let message = lookup(object, ["errmsg"]).flatMap { presentText($0.value) } ?? "no errmsg"
            throw DingTalkDecodingError(code: .apiError, message: "DingTalk returned errcode \(code): \(message)")
        }
        if let instance = object["process_instance"] as? [String: Any] { return (instance, object) }
        if let instance = object["result"] as? [String: Any] { return (instance, object) }
        // A v1.0 error body: {"code":"processInstanceNotExist","message":"…","requestid":"…"}.
        if let code = lookup(object, ["code"]).flatMap({ presentText($0.value) }),
            let message = lookup(object, ["message"]).flatMap({ presentText($0.value) }),
            lookup(object, ["create_time", "createTime"]) == nil
        {
            throw DingTalkDecodingError(code: .apiError, message: "DingTalk returned error \(code): \(message)")
        }
        return (object, nil)
    }

    /// The id of the instance as its tasks name it: `processInstanceId`, or `procInsId=` in a task URL.
    private static func taskInstanceId(_ instance: [String: Any]) -> String? {
        guard let tasks = lookup(instance, ["tasks"])?.value as? [Any] else { return nil }
        for case let task as [String: Any] in tasks {
            if let id = lookup(task, ["processInstanceId", "process_instance_id"]).flatMap({ presentText($0.value) }) {
                return id
            }
            for key in ["url", "pcUrl", "mobileUrl"] {
                guard let url = task[key] as? String, let range = url.range(of: "procInsId=") else { continue }
                let id = url[range.upperBound...].prefix { $0 != "&" && $0 != "#" }
                if !id.isEmpty { return String(id) }
            }
        }
        return nil
    }

    // MARK: - Values

    /// Reads a time: a local time string, or epoch milliseconds as a number or a string of digits.
    private func time(_ found: (key: String, value: Any)) throws(DingTalkDecodingError) -> Int64? {
        do {
            if let number = found.value as? NSNumber, !(found.value is String) {
                return try InstanceFieldRules.supported(
                    ValueLimits.instant(epochMilliseconds: number.doubleValue),
                    column: found.key,
                    text: number.stringValue
                )
            }
            guard let text = Self.presentText(found.value) else { return nil }
            if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                return try InstanceFieldRules.supported(
                    Double(text).flatMap(ValueLimits.instant(epochMilliseconds:)),
                    column: found.key,
                    text: text
                )
            }
            let expected = found.key.contains("_") ? InstanceFieldRules.timeFormat : "YYYY-MM-DDTHH:MMZ"
            return try InstanceFieldRules.time(text, column: found.key, clock: clock, expected: expected)
        } catch {
            throw DingTalkDecodingError(code: .invalidValue, message: error.reason)
        }
    }

    /// The first key of `keys` that the object holds with a non-null value.
    static func lookup(_ object: [String: Any], _ keys: [String]) -> (key: String, value: Any)? {
        for key in keys {
            if let value = object[key], !(value is NSNull) { return (key, value) }
        }
        return nil
    }

    /// A string or number as text; `nil` for other JSON values.
    static func text(_ value: Any) -> String? {
        if let string = value as? String { return string }
        if let number = value as? NSNumber {
            if let integer = number as? Int64 { return String(integer) }
            return number.stringValue
        }
        return nil
    }

    /// A string or number as text, `nil` when it is empty or DingTalk's placeholder `"null"`.
    static func presentText(_ value: Any) -> String? {
        guard let text = text(value), !text.isEmpty, text != "null" else { return nil }
        return text
    }

    static func detail(of error: any Error) -> String {
        let nsError = error as NSError
        return nsError.userInfo[NSDebugDescriptionErrorKey] as? String ?? nsError.localizedDescription
    }
}
