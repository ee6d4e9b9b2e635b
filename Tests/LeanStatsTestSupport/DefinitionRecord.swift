import LeanStatsCore

/// An instance for tests of the shared definitions: agreed and finished `days` after creation when COMPLETED,
/// no result otherwise; user `u1` named `名u1` by default; department id `1` for 生产部, `2` for any other.
/// - Parameters:
///   - id: the instance id; the business id is `B-` and it, the title `提案 ` and it.
///   - created: the creation time as `YYYY-MM-DD HH:MM:SS` in `clock`'s zone.
///   - clock: the zone `created` is read in.
///   - days: days from creation to finish for a COMPLETED instance, `nil` for none.
public func definitionRecord(
    _ id: String,
    _ created: String,
    clock: ZoneClock,
    dept: String? = "生产部",
    category: String? = "安全改善",
    user: String = "u1",
    status: InstanceStatus = .completed,
    days: Int? = 2
) -> InstanceRecord {
    let create = clock.parseLocal(created)!
    return InstanceRecord(
        instanceId: id,
        businessId: "B-\(id)",
        title: "提案 \(id)",
        createTime: create,
        finishTime: status == .completed ? days.map { create + Int64($0) * 86_400 } : nil,
        status: status,
        result: status == .completed ? .agree : nil,
        originatorUserId: user,
        originatorUserName: "名\(user)",
        originatorDeptId: dept.map { $0 == "生产部" ? "1" : "2" },
        originatorDeptName: dept,
        formFields: category.map { [FormField(name: categoryFieldName, value: $0)] } ?? []
    )
}
