import LeanStatsCore

/// Settles the creation time of a v1.0 detail, whose times are strings like `2022-08-31T11:52Z`
/// (`docs/dingtalk-api-notes.md` §2): minute precision, and a `Z` that evidence says is Beijing wall time, not UTC.
///
/// The decoder reads the string as Beijing wall time. This cross-checks the result against the business id, whose
/// first twelve digits are the creation minute in Beijing time (`yyyyMMddHHmm`): when they agree, the reading
/// stands; when the id is exactly eight hours later, the `Z` meant UTC after all and every time of the record is
/// moved; otherwise the reading stands and the record is reported as inconsistent. Then, when the instance id ends
/// in ten digits that fall inside the creation minute (newer ids end in the creation epoch seconds), they restore
/// the seconds. Finish times keep minute precision.
///
/// ``DingTalkInstanceDecoder`` applies it to every v1.0 detail, so `leanstats import` and `leanstats sync` give an
/// instance the same times.
package enum InstanceTimeReconciler {
    /// What the check found.
    package enum Verdict: Equatable, Sendable {
        /// The business id confirms the Beijing reading (or there is no business id to check).
        case consistent
        /// The times were UTC and were moved by eight hours.
        case shiftedFromUTC
        /// The business id disagrees; the Beijing reading was kept.
        case inconsistent
    }

    /// Reconciles a record decoded from a v1.0 detail.
    /// - Parameters:
    ///   - record: The record; its times are adjusted in place.
    ///   - beijing: The Asia/Shanghai zone.
    /// - Returns: What the cross-check found.
    package static func reconcile(_ record: inout InstanceRecord, beijing: ZoneClock) -> Verdict {
        var verdict = Verdict.consistent
        if let business = businessMinute(record.businessId, beijing: beijing) {
            let shift: Int64 = 8 * 3600
            if abs(business - record.createTime) <= 60 {
                verdict = .consistent
            } else if abs(business - (record.createTime + shift)) <= 60 {
                record.createTime += shift
                record.finishTime = record.finishTime.map { $0 + shift }
                verdict = .shiftedFromUTC
            } else {
                verdict = .inconsistent
            }
        }
        if let seconds = trailingEpochSeconds(record.instanceId) {
            let minute = record.createTime - ((record.createTime % 60) + 60) % 60
            if seconds >= minute && seconds < minute + 60 { record.createTime = seconds }
        }
        return verdict
    }

    /// The creation minute encoded in a business id's `yyyyMMddHHmm` prefix, as an instant.
    static func businessMinute(_ businessId: String?, beijing: ZoneClock) -> Int64? {
        guard let businessId, businessId.utf8.count >= 12,
            businessId.utf8.prefix(12).allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return nil }
        let digits = Array(businessId.utf8.prefix(12)).map { Int($0 - 48) }
        func number(_ start: Int, _ count: Int) -> Int { digits[start..<(start + count)].reduce(0) { $0 * 10 + $1 } }
        let date = CivilDate(year: number(0, 4), month: number(4, 2), day: number(6, 2))
        let hour = number(8, 2)
        let minute = number(10, 2)
        guard date.isValid, hour < 24, minute < 60 else { return nil }
        return beijing.instant(localSeconds: Int64(date.dayNumber) * 86_400 + Int64(hour * 3600 + minute * 60))
    }

    /// The epoch seconds in an instance id's last ten characters, when they are digits.
    static func trailingEpochSeconds(_ instanceId: String) -> Int64? {
        let tail = instanceId.utf8.suffix(10)
        guard tail.count == 10, tail.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(String(decoding: tail, as: UTF8.self))
    }
}
