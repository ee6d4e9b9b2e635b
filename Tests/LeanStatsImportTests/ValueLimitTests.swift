import Foundation
import LeanStatsCore
import Testing

@testable import LeanStatsImport

/// Values that would overflow the store's arithmetic are refused where they enter, naming the file, line and field.
struct ValueLimitTests {
    private func read(_ name: String, _ text: String) throws -> (batch: ImportBatch, path: String) {
        let directory = try ScratchDirectory()
        let path = try directory.write(name, text)
        return (try importReader.read(paths: [path]), path)
    }

    private func jsonLine(
        create: String = #""2020-12-21 15:30:26""#,
        finish: String? = nil,
        benefit: String? = nil
    )
        -> String
    {
        let finishPart = finish.map { #","finish_time":\#($0)"# } ?? ""
        let form =
            benefit.map { #","form_component_values":[{"name":"预计收益(元)","value":"\#($0)"}]"# } ?? ""
        return #"{"process_instance_id":"PI-1","create_time":\#(create)\#(finishPart)\#(form)}"#
    }

    @Test(arguments: ["100000000000000000", "1e17", "-2e13", "50000000000000000"])
    func aJSONBenefitBeyondTheSupportedAmountsIsABadRowNamingFileLineAndField(amount: String) throws {
        let (batch, path) = try read("big.jsonl", jsonLine() + "\n" + jsonLine(benefit: amount) + "\n")
        #expect(batch.records.count == 1)
        let issue = try #require(batch.issues.first)
        #expect(issue.file == path)
        #expect(issue.line == 2)
        #expect(
            issue.reason
                == "form field 预计收益(元) '\(amount)' is outside the supported amounts "
                + "-10000000000000 to 10000000000000 yuan; correct the amount"
        )
    }

    @Test func aJSONBenefitAtTheLimitIsKept() throws {
        let batch = try read("edge.jsonl", jsonLine(benefit: "10000000000000") + "\n").batch
        #expect(batch.issues.isEmpty)
        #expect(batch.records.first?.formValue("预计收益(元)") == "10000000000000")
    }

    @Test func aCSVBenefitBeyondTheSupportedAmountsIsABadRowOfTheFormValuesFile() throws {
        let directory = try ScratchDirectory()
        let instances = try directory.write(
            "ding_process_instances.csv",
            "business_id,create_time\nB1,2025-11-01 10:00:00\nB2,2025-11-02 10:00:00\n"
        )
        let forms = try directory.write(
            "ding_form_component_values.csv",
            "business_id,component_name,value_text\nB1,预计收益(元),1200\nB2,预计收益(元),\"1,000,000,000,000,000\"\n"
        )
        let batch = try importReader.read(paths: [instances, forms])
        let issue = try #require(batch.issues.first)
        #expect(issue.file == forms)
        #expect(issue.line == 3)
        #expect(issue.reason.hasPrefix("form field 预计收益(元) '1,000,000,000,000,000' is outside the supported amounts"))
        #expect(batch.records.compactMap { $0.formValue("预计收益(元)") } == ["1200"])
    }

    @Test(arguments: [
        (#"1e30"#, "create_time", "1e+30"),
        (#""9999999999999999999999999""#, "create_time", "9999999999999999999999999"),
        (#"-1"#, "create_time", "-1"),
    ])
    func aJSONCreateTimeOutsideTheSupportedWindowIsABadRow(value: String, key: String, shown: String) throws {
        let (batch, path) = try read("times.jsonl", jsonLine(create: value) + "\n")
        #expect(batch.records.isEmpty)
        let issue = try #require(batch.issues.first)
        #expect(issue.description.hasPrefix("\(path):1: \(key) '"))
        #expect(
            issue.reason.hasSuffix(
                "' is outside the supported time range 1970-01-01 00:00:00 UTC to 2199-12-31 23:59:59 UTC; "
                    + "correct the time"
            )
        )
    }

    @Test func aHugeJSONFinishTimeIsABadRowNotACrash() throws {
        let batch = try read("finish.jsonl", jsonLine(finish: "1e300") + "\n").batch
        #expect(batch.records.isEmpty)
        #expect(
            batch.issues.first?.reason.hasPrefix("finish_time '1e+300' is outside the supported time range") == true
        )
    }

    @Test func aV1TimeStringPastTheYear2199IsABadRow() throws {
        let text = #"{"processInstanceId":"P","result":{"createTime":"2300-01-01T00:00Z"}}"#
        let batch = try read("v1.jsonl", text + "\n").batch
        #expect(batch.records.isEmpty)
        #expect(batch.issues.first?.reason.hasPrefix("createTime '2300-01-01T00:00Z' is outside the supported") == true)
    }

    @Test(arguments: ["1900-01-01 00:00:00", "2200-01-01 08:00:00", "9999-12-31 23:59:59"])
    func aCSVTimeOutsideTheSupportedWindowIsABadRowNamingTheColumn(time: String) throws {
        let text =
            "process_instance_id,create_time,finish_time\nP1,2025-11-01 10:00:00,\nP2,2025-11-01 10:00:00,\(time)\n"
        let (batch, path) = try read("ding_process_instances.csv", text)
        #expect(batch.records.map(\.instanceId) == ["P1"])
        #expect(
            batch.issues.map(\.description) == [
                "\(path):3: finish_time '\(time)' is outside the supported time range "
                    + "1970-01-01 00:00:00 UTC to 2199-12-31 23:59:59 UTC; correct the time"
            ]
        )
    }

    @Test func aCharacterDeviceIsRefusedAsNotARegularFile() throws {
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: ["/dev/zero"]) }
        #expect(error?.code == .notRegularFile)
        #expect(
            error?.description
                == "import error: /dev/zero is not a regular file (it is a character device); "
                + "import reads regular files and pipes only"
        )
    }

    @Test func aFileLargerThanTheLimitIsRefusedAsTooLarge() throws {
        let directory = try ScratchDirectory()
        let path = try directory.write("big.jsonl", String(repeating: " ", count: 100))
        let error = #expect(throws: ImportError.self) { try FileContents.read(path, limit: 10) }
        #expect(error?.code == .fileTooLarge)
        #expect(
            error?.message
                == "\(path) is larger than 10 bytes, the most one import file may hold; split it into several files"
        )
        #expect(try FileContents.read(path, limit: 100).count == 100)
    }

    @Test func importAndSyncGiveAV1InstanceTheSameTimesWhateverTheStoreZone() throws {
        // A sync decodes a detail body with a Beijing decoder and its v1.0 cross-check; an import in another zone
        // must come to the same instants.
        let body = Data(v1Response.utf8)
        let synced = try DingTalkInstanceDecoder(clock: shanghai).decodeReconciled(body).record
        for zone in ["UTC", "America/New_York", "Asia/Shanghai"] {
            let reader = ImportReader(clock: try ZoneClock(identifier: zone))
            let directory = try ScratchDirectory()
            let path = try directory.write("v1.jsonl", v1Response + "\n")
            let imported = try #require(try reader.read(paths: [path]).records.first)
            #expect(imported.createTime == synced.createTime)
            #expect(imported.finishTime == synced.finishTime)
        }
        #expect(synced.createTime == 1_776_324_877)
    }

    @Test func aV1DetailWrittenInUTCIsShiftedTheSameWayByImportAndSync() throws {
        // The business id says 15:34 Beijing; the Z time says 07:34, so it was UTC.
        let text =
            #"{"processInstanceId":"X1","result":{"createTime":"2026-04-16T07:34Z","finishTime":"2026-04-17T07:00Z","businessId":"202604161534000376553"}}"#
        let synced = try DingTalkInstanceDecoder(clock: shanghai).decodeReconciled(Data(text.utf8))
        #expect(synced.verdict == .shiftedFromUTC)
        let imported = try #require(try read("utc.jsonl", text + "\n").batch.records.first)
        #expect(imported == synced.record)
        #expect(imported.createTime == 1_776_324_840)
    }
}
