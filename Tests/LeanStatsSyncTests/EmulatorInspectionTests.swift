import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsTestSupport
import Testing

/// The inspection routes a benchmark uses on a running emulator, over real HTTP: its instances, the events it
/// emitted with their wall-clock times, its emulated clock, its plant's pause and resume, and the events not yet
/// acknowledged.
struct EmulatorInspectionTests {
    /// 2025-12-01 00:00 Beijing, epoch milliseconds.
    static let start: Int64 = 1_764_518_400_000

    /// An emulator serving a plant's backlog on loopback.
    private static func serve() throws -> (EmulatorServer, EmulatedPlant) {
        let plant = try EmulatedPlant(start: start)
        let emulator = try DingTalkEmulator(
            dataset: EmulatorDataset(instances: plant.backlog),
            clock: EmulatorClock(frozenAt: start)
        )
        return (try EmulatorServer(emulator: emulator), plant)
    }

    private static func get(_ server: EmulatorServer, _ target: String) throws -> (Int, [String: Any]) {
        try exchange(server, "GET \(target)")
    }

    private static func exchange(_ server: EmulatorServer, _ line: String) throws -> (Int, [String: Any]) {
        let reply = try HTTPReply.exchange(
            port: server.port,
            request: "\(line) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        let object = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
        return (reply.status, object ?? [:])
    }

    @Test func theInstancesRouteListsEveryInstanceWithItsStatusAndTimes() throws {
        let (server, plant) = try Self.serve()
        defer { server.stop() }
        let (status, object) = try Self.get(server, "/_emulator/instances")
        #expect(status == 200)
        let items = try #require(object["instances"] as? [[String: Any]])
        #expect(object["count"] as? Int == plant.backlog.count)
        #expect(items.count == plant.backlog.count)
        let running = items.filter { $0["status"] as? String == "RUNNING" }
        #expect(running.count == plant.openCount)
        let first = try #require(plant.backlog.first)
        let item = try #require(items.first { $0["instance_id"] as? String == first.instanceId })
        #expect((item["create_time"] as? NSNumber)?.int64Value == first.createTime)
        #expect(item["status"] as? String == first.status?.code)
    }

    @Test func theEventsRouteShowsEachEmittedChangeWithItsWallClockTimeAndPages() throws {
        let (server, plant) = try Self.serve()
        defer { server.stop() }
        var moving = plant
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let changes = moving.advance(to: Self.start + 2 * 86_400_000, applyingTo: server.emulator)
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        let emitted = changes.created.count + changes.finished.count
        #expect(emitted > 2)

        let (status, object) = try Self.get(server, "/_emulator/events?after=0&limit=2")
        #expect(status == 200)
        #expect(object["last"] as? Int == emitted)
        let page = try #require(object["events"] as? [[String: Any]])
        #expect(page.map { $0["sequence"] as? Int } == [1, 2])
        let first = page[0]
        #expect(first["event_type"] as? String == "bpms_instance_change")
        #expect(first["type"] as? String == "start")
        #expect(first["instance_id"] as? String == changes.created.first?.instanceId)
        let wallClock = try #require((first["emitted_at"] as? NSNumber)?.int64Value)
        #expect((before...after).contains(wallClock))

        let (_, rest) = try Self.get(server, "/_emulator/events?after=2")
        let remaining = try #require(rest["events"] as? [[String: Any]])
        #expect(remaining.count == emitted - 2)
        #expect(remaining.first?["sequence"] as? Int == 3)
        let finishes = remaining.filter { ["finish", "terminate"].contains($0["type"] as? String) }
        #expect(finishes.count == changes.finished.count)
    }

    @Test(arguments: [
        ("/_emulator/events?after=-1", "after must be a whole number"),
        ("/_emulator/events?limit=0", "limit must be a whole number between 1 and 10000"),
        ("/_emulator/events?limit=many", "limit must be a whole number between 1 and 10000"),
    ])
    func badEventPagesAreRefusedWithTheFix(target: String, message: String) throws {
        let (server, _) = try Self.serve()
        defer { server.stop() }
        let (status, object) = try Self.get(server, target)
        #expect(status == 400)
        #expect((object["error"] as? String)?.contains(message) == true, "\(object)")
    }

    @Test func theClockRouteAnswersTheEmulatedNow() throws {
        let (server, _) = try Self.serve()
        defer { server.stop() }
        server.emulator.clock.advance(byMilliseconds: 90_000)
        let (status, object) = try Self.get(server, "/_emulator/clock")
        #expect(status == 200)
        #expect((object["now"] as? NSNumber)?.int64Value == Self.start + 90_000)
        #expect(object["now_text"] as? String == "2025-12-01 00:01:30")
    }

    @Test func thePlantPausesAndResumesOverHTTP() throws {
        let (server, plant) = try Self.serve()
        defer { server.stop() }
        let (missing, refusal) = try Self.get(server, "/_emulator/plant")
        #expect(missing == 404)
        #expect((refusal["error"] as? String)?.contains("--plant") == true)

        server.emulator.attachPlant(paused: true, open: plant.openCount)
        let (status, state) = try Self.get(server, "/_emulator/plant")
        #expect(status == 200)
        #expect(state["paused"] as? Bool == true)
        #expect(state["open"] as? Int == plant.openCount)

        let (resumed, running) = try Self.exchange(server, "POST /_emulator/plant/resume")
        #expect(resumed == 200 && running["paused"] as? Bool == false)
        #expect(server.emulator.plantStatus.paused == false)
        server.emulator.recordPlantStep(created: 3, finished: 2, open: plant.openCount + 1)
        let (_, paused) = try Self.exchange(server, "POST /_emulator/plant/pause")
        #expect(paused["paused"] as? Bool == true)
        #expect(paused["created"] as? Int == 3 && paused["finished"] as? Int == 2)
        #expect(server.emulator.plantStatus.paused)

        let (wrongMethod, _) = try Self.get(server, "/_emulator/plant/pause")
        #expect(wrongMethod == 405)
    }

    @Test func theStatisticsCountTheEventsNotYetAcknowledged() throws {
        let (server, plant) = try Self.serve()
        defer { server.stop() }
        let (_, before) = try Self.get(server, "/_emulator/statistics")
        #expect(before["stream_pending"] as? Int == 0)
        var moving = plant
        let changes = moving.advance(to: Self.start + 86_400_000, applyingTo: server.emulator)
        let (_, after) = try Self.get(server, "/_emulator/statistics")
        #expect(after["stream_pending"] as? Int == changes.created.count + changes.finished.count)
    }
}
