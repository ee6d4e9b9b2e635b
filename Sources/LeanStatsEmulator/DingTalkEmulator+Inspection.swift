import Foundation
import LeanStatsCore

/// One Stream event the emulator emitted, as the inspection route `GET /_emulator/events` shows it.
public struct EmittedEvent: Sendable, Equatable {
    /// The event's number, from 1, in emission order.
    public var sequence: Int
    /// When it was emitted, real (wall-clock) Unix milliseconds, to measure how soon a client shows it.
    public var emittedAt: Int64
    /// When it was emitted on the emulated clock, Unix milliseconds.
    public var emulatedAt: Int64
    /// The `eventType`: `bpms_instance_change` or `bpms_task_change`.
    public var eventType: String
    /// The event's `type`: `start`, `finish`, `terminate`, `cancel`.
    public var type: String
    /// The instance the event is about.
    public var instanceId: String
    /// The result of a `finish` (`agree`, `refuse`), else `nil`.
    public var result: String?
}

/// What the plant an emulator serves has done, and whether it is paused (`GET /_emulator/plant`).
public struct PlantStatus: Sendable, Equatable {
    /// Whether a plant drives the emulator at all (`leanstats emulator --plant`).
    public var attached = false
    /// Whether the plant is paused: emulated time then runs at real speed and no proposal arrives or is decided.
    public var paused = false
    /// Proposals created since the plant started serving.
    public var created = 0
    /// Proposals decided or terminated since the plant started serving.
    public var finished = 0
    /// Proposals open now.
    public var open = 0

    /// No plant.
    public init() {}
}

/// The inspection routes a benchmark or a test uses to look inside a running emulator: its instances, the events it
/// emitted with their wall-clock times, its emulated clock, and its plant (pause and resume). Like the other
/// `/_emulator/…` routes they bypass faults, limits and statistics.
extension DingTalkEmulator {
    /// The events emitted so far, in order.
    public var emittedEvents: [EmittedEvent] { state.withLock { $0.emitted } }

    /// The plant's counts and whether it is paused.
    public var plantStatus: PlantStatus { plant.withLock { $0 } }

    /// Marks the emulator as driven by a plant, so `/_emulator/plant` can pause and resume it.
    /// - Parameters:
    ///   - paused: Whether the plant starts paused (`--plant-paused`).
    ///   - open: The proposals open at the start.
    public func attachPlant(paused: Bool, open: Int) {
        plant.withLock { status in
            status.attached = true
            status.paused = paused
            status.open = open
        }
    }

    /// Pauses or resumes the plant.
    /// - Parameter paused: Whether it should be paused.
    public func setPlantPaused(_ paused: Bool) {
        plant.withLock { $0.paused = paused }
    }

    /// Records one step of the plant.
    /// - Parameters:
    ///   - created: Proposals created in the step.
    ///   - finished: Proposals decided or terminated in the step.
    ///   - open: Proposals open after it.
    public func recordPlantStep(created: Int, finished: Int, open: Int) {
        plant.withLock { status in
            status.created += created
            status.finished += finished
            status.open = open
        }
    }

    /// Remembers emitted events with their wall-clock and emulated times.
    func recordEmitted(_ events: [StreamEvent], emulatedAt: Int64) {
        let emittedAt = EmulatorClock.realMilliseconds()
        state.withLock { state in
            for event in events {
                state.emitted.append(
                    EmittedEvent(
                        sequence: state.emitted.count + 1,
                        emittedAt: emittedAt,
                        emulatedAt: emulatedAt,
                        eventType: event.type,
                        type: event.body["type"] as? String ?? "",
                        instanceId: event.body["processInstanceId"] as? String ?? "",
                        result: event.body["result"] as? String
                    )
                )
            }
        }
    }

    /// Answers `/_emulator/instances`, `/_emulator/events`, `/_emulator/clock` and `/_emulator/plant[/pause|/resume]`;
    /// `nil` for every other path.
    func inspectState(_ request: HTTPServerRequest) -> HTTPServerResponse? {
        switch (request.method, request.path) {
        case ("GET", "/_emulator/instances"): return instancesResponse()
        case ("GET", "/_emulator/events"): return eventsResponse(request)
        case ("GET", "/_emulator/clock"):
            let now = clock.now()
            return .json(200, ["now": now, "now_text": renderer.beijing.format(now / 1000)])
        case ("GET", "/_emulator/plant"): return plantResponse()
        case ("POST", "/_emulator/plant/pause"), ("POST", "/_emulator/plant/resume"):
            guard plantStatus.attached else { return plantResponse() }
            setPlantPaused(request.path.hasSuffix("/pause"))
            return plantResponse()
        case (_, "/_emulator/instances"), (_, "/_emulator/events"), (_, "/_emulator/clock"), (_, "/_emulator/plant"):
            return .json(405, ["error": "\(request.method) is not allowed for \(request.path); use GET"])
        case (_, "/_emulator/plant/pause"), (_, "/_emulator/plant/resume"):
            return .json(405, ["error": "\(request.method) is not allowed for \(request.path); use POST"])
        default:
            return nil
        }
    }

    /// `GET /_emulator/instances`: every instance served now, in list order.
    private func instancesResponse() -> HTTPServerResponse {
        let items: [[String: Any]] = instances.map { record in
            [
                "instance_id": record.instanceId, "business_id": record.businessId ?? NSNull(),
                "title": record.title ?? NSNull(), "status": record.status?.code ?? NSNull(),
                "result": record.result?.code ?? NSNull(), "create_time": record.createTime,
                "finish_time": record.finishTime ?? NSNull(), "originator_user_id": record.originatorUserId ?? NSNull(),
            ]
        }
        return .json(200, ["count": items.count, "instances": items])
    }

    /// `GET /_emulator/events?after=N&limit=M`: the events after number N (default 0), at most M (default 1000,
    /// at most 10000), and the number of the last one emitted.
    private func eventsResponse(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let after = Int(request.query["after"] ?? "0"), after >= 0 else {
            return .json(400, ["error": "after must be a whole number of at least 0, the last event number seen"])
        }
        guard let limit = Int(request.query["limit"] ?? "1000"), (1...10_000).contains(limit) else {
            return .json(400, ["error": "limit must be a whole number between 1 and 10000"])
        }
        let (events, last) = state.withLock { state in
            (Array(state.emitted.dropFirst(after).prefix(limit)), state.emitted.count)
        }
        let items: [[String: Any]] = events.map { event in
            [
                "sequence": event.sequence, "emitted_at": event.emittedAt, "emulated_at": event.emulatedAt,
                "event_type": event.eventType, "type": event.type, "instance_id": event.instanceId,
                "result": event.result ?? NSNull(),
            ]
        }
        return .json(200, ["events": items, "last": last])
    }

    /// `GET /_emulator/plant` and the answer of pause and resume: the plant's state, or 404 without a plant.
    private func plantResponse() -> HTTPServerResponse {
        let status = plantStatus
        guard status.attached else {
            return .json(404, ["error": "this emulator serves no plant; start it with --plant to pause or resume one"])
        }
        return .json(
            200,
            [
                "paused": status.paused, "created": status.created, "finished": status.finished, "open": status.open,
                "now": clock.now(),
            ]
        )
    }
}
