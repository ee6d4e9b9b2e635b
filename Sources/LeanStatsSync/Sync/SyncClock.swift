import Foundation
import LeanStatsCore

/// The sync's wall clock: what "now" is when windows are planned (DingTalk lists at most 365 days back from now)
/// and which calendar month a call is counted in.
///
/// Tests and trials against the emulator run on a shifted clock (``ShiftedSyncClock``), because the bundled sample
/// ends in 2025-11 and would be out of the API's reach on the real clock.
public protocol SyncClock: Sendable {
    /// The current time, Unix epoch milliseconds.
    func now() -> Int64
}

/// The real clock.
public struct SystemSyncClock: SyncClock {
    /// Creates the real clock.
    public init() {}

    /// The current time, Unix epoch milliseconds.
    public func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// A clock that reads a chosen time when it is created and then advances in real time (`leanstats sync --now`).
public struct ShiftedSyncClock: SyncClock {
    private let offset: Int64

    /// Creates a clock that reads `now` at this moment.
    /// - Parameter now: The time to start from, Unix epoch milliseconds.
    public init(startingAt now: Int64) {
        offset = now - SystemSyncClock().now()
    }

    /// The current shifted time, Unix epoch milliseconds.
    public func now() -> Int64 {
        SystemSyncClock().now() + offset
    }
}

/// A clock that follows a DingTalk emulator's emulated clock (`leanstats sync --now emulator`): it reads
/// `GET /_emulator/clock` at most every quarter of a second and runs in real time in between, so a plant that runs
/// a month in minutes (`leanstats emulator --plant --plant-speed 3600`) is synced with the windows and calendar
/// months of its emulated time.
///
/// Between two readings it never runs ahead of the emulator (the emulated clock runs at least in real time), and it
/// never goes back. When a reading fails it keeps running in real time from the last one.
public final class EmulatorSyncClock: SyncClock {
    private struct Reading {
        var emulated: Int64
        var real: Int64
        var returned: Int64
    }

    private let url: String
    private let handle: Locked<CurlEasyHandle>
    private let reading: Locked<Reading>

    /// How long a reading is used before the emulator is asked again, real milliseconds.
    static let refreshMilliseconds: Int64 = 250

    /// Reads the emulator's clock once.
    /// - Parameter baseURL: The emulator's base URL (`dingtalk.api_url`), e.g. `http://127.0.0.1:8089`.
    /// - Throws: ``SyncError`` with code `.configuration` when the emulator cannot be reached or does not answer
    ///   its clock.
    public init(baseURL: String) throws(SyncError) {
        url = (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/_emulator/clock"
        do {
            handle = Locked(try CurlEasyHandle())
        } catch {
            throw SyncError(.configuration, "--now emulator: \(error)")
        }
        let real = SystemSyncClock().now()
        guard let emulated = Self.read(url, with: handle) else {
            throw SyncError(
                .configuration,
                "--now emulator could not read the emulator's clock at \(url); start `leanstats emulator` and point "
                    + "dingtalk.api_url at it, or give --now YYYY-MM-DD HH:MM"
            )
        }
        reading = Locked(Reading(emulated: emulated, real: real, returned: emulated))
    }

    /// The emulator's current time, Unix epoch milliseconds.
    public func now() -> Int64 {
        let real = SystemSyncClock().now()
        let stale = reading.withLock { real - $0.real >= Self.refreshMilliseconds }
        let fresh = stale ? Self.read(url, with: handle) : nil
        return reading.withLock { reading in
            if let fresh {
                reading.emulated = fresh
                reading.real = real
            }
            reading.returned = max(reading.returned, reading.emulated + (real - reading.real))
            return reading.returned
        }
    }

    /// `GET /_emulator/clock`'s `now`, `nil` when the request or its answer fails.
    private static func read(_ url: String, with handle: Locked<CurlEasyHandle>) -> Int64? {
        let outcome = handle.withLock { handle in
            handle.perform(HTTPRequest(method: .get, url: url), timeoutMilliseconds: 2000, maximumBytes: 1 << 16)
        }
        guard case .success(let response) = outcome, response.status == 200,
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any],
            let now = object["now"] as? NSNumber
        else { return nil }
        return now.int64Value
    }
}
