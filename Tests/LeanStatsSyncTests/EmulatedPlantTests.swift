import Foundation
import LeanStatsCore
import LeanStatsEmulator
import Testing

/// The emulated plant: a steady month of proposals for quota benchmarks.
struct EmulatedPlantTests {
    /// 2025-12-01 00:00 Beijing, epoch milliseconds.
    static let start: Int64 = 1_764_518_400_000
    static let day: Int64 = 86_400_000

    @Test func theSteadyStateHasAbout300OpenAnd1000NewAMonthApprovedAfterAMedianOf10Days() throws {
        var plant = try EmulatedPlant(start: Self.start)
        #expect((270...330).contains(plant.openCount), "open at the start: \(plant.openCount)")
        #expect(plant.backlog.filter { $0.status == .running }.count == plant.openCount)
        var created = 0
        var decided: [Double] = []
        var openSeen: [Int] = []
        var time = Self.start
        let end = Self.start + Int64(30.4375 * Double(Self.day))
        while time < end {
            time = min(end, time + 6 * 3_600_000)
            let changes = plant.advance(to: time)
            created += changes.created.count
            for record in changes.finished where record.status == .completed {
                decided.append(Double(record.finishTime! - record.createTime) / 86_400)
            }
            openSeen.append(plant.openCount)
        }
        #expect((980...1020).contains(created), "created in a month: \(created)")
        #expect(
            openSeen.allSatisfy { (270...330).contains($0) },
            "open every 6 h: \(openSeen.min()!)...\(openSeen.max()!)"
        )
        decided.sort()
        let median = decided[decided.count / 2]
        #expect(abs(median - 10) < 0.7, "median days to a decision: \(median)")
        let finished = decided.count
        #expect((800...960).contains(finished), "decided in a month: \(finished)")
    }

    @Test func theSameSeedGivesTheSamePlantWhateverTheStepSize() throws {
        var coarse = try EmulatedPlant(start: Self.start)
        var fine = try EmulatedPlant(start: Self.start)
        #expect(coarse.backlog == fine.backlog)
        let big = coarse.advance(to: Self.start + 3 * Self.day)
        var small = PlantChanges()
        for hour in 1...72 {
            let step = fine.advance(to: Self.start + Int64(hour) * 3_600_000)
            small.created += step.created
            small.finished += step.finished
        }
        #expect(big.created == small.created)
        #expect(Set(big.finished.map(\.instanceId)) == Set(small.finished.map(\.instanceId)))
        var other = PlantSettings()
        other.seed = 2
        #expect(try EmulatedPlant(settings: other, start: Self.start).backlog != coarse.backlog)
    }

    @Test func advancingAppliesCreationsAndFinishesToTheEmulator() throws {
        var plant = try EmulatedPlant(start: Self.start)
        let emulator = try DingTalkEmulator(
            dataset: EmulatorDataset(instances: plant.backlog),
            clock: EmulatorClock(frozenAt: Self.start)
        )
        emulator.clock.advance(byMilliseconds: 2 * Self.day)
        let changes = plant.advance(to: emulator.clock.now(), applyingTo: emulator)
        #expect(!changes.created.isEmpty && !changes.finished.isEmpty)
        let served = Dictionary(uniqueKeysWithValues: emulator.instances.map { ($0.instanceId, $0) })
        #expect(served.count == plant.backlog.count + changes.created.count)
        for final in changes.finished { #expect(served[final.instanceId] == final) }
        #expect(served.values.filter { $0.status == .running }.count == plant.openCount)
    }
}
