import Foundation
import LeanStatsCore
import LeanStatsImport

/// Fetches one instance and turns it into a record: the detail call, the decoder shared with `leanstats import`,
/// the v1.0 time cross-check, and the originator's name from the contacts directory (the detail APIs carry only
/// the user id).
struct InstanceFetcher: Sendable {
    let client: DingTalkClient
    let api: DingTalkAPI
    let beijing: ZoneClock
    let contacts: ContactsDirectory
    /// Each user's most recent name in the store, used when the contacts directory has none (people who left).
    let storeNames: [String: String]

    /// What became of one id.
    enum Outcome: Sendable {
        /// The record, and what the v1.0 time cross-check found.
        case fetched(InstanceRecord, InstanceTimeReconciler.Verdict)
        /// The instance does not exist or its detail is unreadable; the sync goes on without it.
        case missing(id: String, reason: String)
        /// DingTalk says the instance no longer exists: it was deleted, and the store drops it.
        case deleted(id: String, reason: String)
        /// The sync must stop (budget, quota, credentials, network, …); the id stays pending.
        case stopped(id: String, SyncError)
    }

    /// Fetches one instance.
    /// - Parameter id: The instance id.
    /// - Returns: The outcome; never throws.
    func fetch(_ id: String) async -> Outcome {
        let body: [UInt8]
        do {
            body = try await client.instanceDetail(id)
        } catch  where error.code == .deleted {
            return .deleted(id: id, reason: error.message)
        } catch  where error.code == .notFound {
            return .missing(id: id, reason: error.message)
        } catch {
            return .stopped(id: id, error)
        }
        var record: InstanceRecord
        let verdict: InstanceTimeReconciler.Verdict
        do {
            // The decoder `leanstats import` uses too, v1.0 time cross-check included.
            (record, verdict) = try DingTalkInstanceDecoder(clock: beijing).decodeReconciled(Data(body), instanceId: id)
        } catch {
            return .missing(id: id, reason: "the detail of \(id) is unreadable: \(error.message)")
        }
        if let user = record.originatorUserId {
            record.originatorUserName = await contacts.name(of: user) ?? storeNames[user]
        }
        if let department = record.originatorDeptId { await contacts.noteDepartment(department) }
        return .fetched(record, verdict)
    }
}
