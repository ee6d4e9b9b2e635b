import Foundation
import LeanStatsCore

extension ImportReader {
    /// Reads one DingTalk JSON file: an array, JSON Lines, or concatenated objects.
    /// - Throws: ``ImportError/Code/invalidJSON`` when an array is not valid JSON, or when no value of a JSON Lines
    ///   or concatenated file is (a single bad value there is a bad row).
    func readJSON(
        path: String,
        bytes: UnsafeBufferPointer<UInt8>,
        layout: ImportFileKind.JSONLayout,
        into batch: inout ImportAccumulator,
        progress: inout ProgressTicker
    ) throws(ImportError) {
        switch layout {
        case .array(let start, let line):
            let chunks: [JSONChunk]
            do {
                chunks = try JSONTextSplitter.arrayElements(bytes, openingAt: start, line: line)
            } catch {
                throw ImportError.invalidJSON(path, line: error.line, detail: error.detail)
            }
            var rows = InstanceRowsPart(joinable: false)
            for chunk in chunks {
                progress.advance(to: chunk.range.upperBound)
                switch Self.parse(bytes, chunk) {
                case .success(let value):
                    add(value, path: path, line: chunk.line, into: &rows, issues: &batch.issues)
                case .failure(let problem):
                    throw ImportError.invalidJSON(path, line: chunk.line, detail: problem.detail)
                }
            }
            rows.finishInterning()
            batch.instanceParts.append(rows)
        case .lines(let start), .concatenated(let start):
            let found: [Result<JSONChunk, JSONSyntaxProblem>] =
                if case .lines = layout {
                    JSONTextSplitter.lines(bytes, from: start).map { .success($0) }
                } else {
                    JSONTextSplitter.concatenatedValues(bytes, from: start)
                }
            // Kept apart until the end: a file in which no value is JSON at all is an error, not a list of bad rows.
            var rows = InstanceRowsPart(joinable: false)
            var issues: [ImportIssue] = []
            var problems = 0
            var firstProblem: JSONSyntaxProblem?
            for item in found {
                switch item.flatMap({ chunk in Self.parse(bytes, chunk).map { (chunk, $0) } }) {
                case .success(let (chunk, value)):
                    progress.advance(to: chunk.range.upperBound)
                    add(value, path: path, line: chunk.line, into: &rows, issues: &issues)
                case .failure(let problem):
                    problems += 1
                    firstProblem = firstProblem ?? problem
                    issues.append(
                        ImportIssue(file: path, line: problem.line, reason: "not valid JSON: \(problem.detail)")
                    )
                }
            }
            if let firstProblem, problems == found.count {
                throw ImportError.invalidJSON(path, line: firstProblem.line, detail: firstProblem.detail)
            }
            rows.finishInterning()
            batch.instanceParts.append(rows)
            batch.issues += issues
        }
    }

    /// Decodes one parsed value into a row or an issue.
    private func add(
        _ value: Any,
        path: String,
        line: Int,
        into rows: inout InstanceRowsPart,
        issues: inout [ImportIssue]
    ) {
        guard let object = value as? [String: Any] else {
            issues.append(ImportIssue(file: path, line: line, reason: "the JSON value is not an object"))
            return
        }
        do {
            rows.append(try decoder.decode(object, instanceId: nil))
        } catch {
            issues.append(ImportIssue(file: path, line: line, reason: error.message))
        }
    }

    /// Parses one value with `JSONSerialization`.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ chunk: JSONChunk) -> Result<Any, JSONSyntaxProblem>
    {
        let data = Data(UnsafeBufferPointer(rebasing: bytes[chunk.range]))
        do {
            return .success(try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
        } catch {
            let detail = located(DingTalkInstanceDecoder.detail(of: error), in: bytes, chunk)
            return .failure(JSONSyntaxProblem(line: chunk.line, detail: detail))
        }
    }

    /// Rewrites Foundation's "… around character N." (an offset into the value) as a line and column of the file.
    private static func located(_ detail: String, in bytes: UnsafeBufferPointer<UInt8>, _ chunk: JSONChunk) -> String {
        guard let marker = detail.range(of: " around character "),
            let offset = Int(detail[marker.upperBound...].prefix { $0.isNumber })
        else { return detail }
        let target = min(chunk.range.lowerBound + offset, chunk.range.upperBound)
        var line = chunk.line
        var lineStart = chunk.range.lowerBound
        for index in chunk.range.lowerBound..<target where bytes[index] == Byte.lineFeed {
            line += 1
            lineStart = index + 1
        }
        return detail[..<marker.lowerBound] + " at line \(line), column \(target - lineStart + 1)"
    }
}
