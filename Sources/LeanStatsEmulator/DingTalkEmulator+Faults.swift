import Foundation

/// The injected faults: each kind rotates through the shapes DingTalk (or the network) is known to produce.
extension DingTalkEmulator {
    /// Counts a fault and returns which variant of its kind to produce.
    @discardableResult
    func noteFault(_ kind: String) -> Int {
        state.withLock { state in
            state.statistics.faults[kind, default: 0] += 1
            defer { state.variants[kind, default: 0] += 1 }
            return state.variants[kind, default: 0]
        }
    }

    /// A transient failure: HTTP 5xx, or legacy errcode -1 (系统繁忙) or 15 (remote service error).
    func failure(_ route: EmulatorRoute, variant: Int) -> HTTPServerResponse {
        switch (route.isLegacy, variant % 3) {
        case (true, 0):
            return legacyError(-1, "系统繁忙")
        case (true, 1):
            return legacyError(15, "Remote service error", sub: ("isp.-1", "服务不可用"))
        case (false, 0):
            return v1Error(500, "systemError", "系统错误")
        case (false, 1):
            return v1Error(503, "service.timeout", "服务超时")
        default:
            return HTTPServerResponse(
                status: 502,
                headers: [("Content-Type", "text/html")],
                body: Array("<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>".utf8)
            )
        }
    }

    /// A throttling answer: legacy 90018, 88 with sub_code 90018, or 88 whose message names subcode 90002;
    /// v1.0 HTTP 403 `QpsLimitForAppkeyAndApi` / `QpsLimitForApi`, or HTTP 429 with `Retry-After`.
    func throttled(_ route: EmulatorRoute, variant: Int) -> HTTPServerResponse {
        switch (route.isLegacy, variant % 3) {
        case (true, 0):
            return legacyError(90018, "当前企业对该接口的调用频率超过限制(QPS)，请降低调用频率")
        case (true, 1):
            return legacyError(
                88,
                "ding talk error[subcode=90018,submsg=当前企业对该接口的调用频率超过限制]",
                sub: ("90018", "当前企业对该接口的调用频率超过限制")
            )
        case (true, _):
            return legacyError(
                88,
                "ding talk error[subcode=90002,submsg=您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了, apiPath(\(route.api)), 请求总次数超过了 20 次]"
            )
        case (false, 0):
            return v1Error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "调用该接口超过QPS限制")
        case (false, 1):
            return v1Error(403, "Forbidden.AccessDenied.QpsLimitForApi", "该接口调用已超过QPS限制")
        case (false, _):
            return v1Error(
                429,
                "Throttling",
                "Request was denied due to flow control",
                headers: [("Retry-After", "1")]
            )
        }
    }

    /// A broken answer: an HTML ban page, the IP-ban JSON, the real answer's JSON cut short (with a matching
    /// length), or the real answer cut off mid-transfer. For the last two the server did the work; only the bytes
    /// on the way back are damaged.
    func garbage(_ route: EmulatorRoute, request: HTTPServerRequest, variant: Int) -> HTTPServerResponse {
        switch variant % 4 {
        case 0:
            let page = """
                <!DOCTYPE html><html><head><meta charset="utf-8"><title>访问被拒绝</title></head>
                <body><h1>您的访问过于频繁，已被暂时禁止</h1><p>请稍后再试。</p></body></html>
                """
            return HTTPServerResponse(
                status: 200,
                headers: [("Content-Type", "text/html;charset=utf-8")],
                body: Array(page.utf8)
            )
        case 1:
            return .json(200, ["status": 1111, "wait": 1, "source": "x5", "punish": "deny", "uuid": requestId()])
        case 2:
            var response = handleWithoutFaults(route, request: request)
            response.body = Array(response.body.prefix(max(1, response.body.count / 2)))
            return response
        default:
            var response = handleWithoutFaults(route, request: request)
            response.truncateAfter = response.body.count / 2
            return response
        }
    }

    /// An oversized answer: a JSON body of `bytes` bytes with a matching `Content-Length`, or a gzip body of
    /// about `bytes / 159` bytes that inflates to `bytes` (a decompression bomb).
    func oversized(bytes: Int, variant: Int) -> HTTPServerResponse {
        guard variant % 2 == 1 else {
            var body = Array(#"{"errcode":0,"padding":""#.utf8)
            body += [UInt8](repeating: UInt8(ascii: "x"), count: max(0, bytes - body.count - 2))
            body += Array(#""}"#.utf8)
            return HTTPServerResponse(
                status: 200,
                headers: [("Content-Type", "application/json;charset=utf-8")],
                body: body
            )
        }
        return HTTPServerResponse(
            status: 200,
            headers: [("Content-Type", "application/json;charset=utf-8"), ("Content-Encoding", "gzip")],
            body: GzipBomb.zeros(count: bytes)
        )
    }
}

/// A gzip stream of zero bytes, built by hand: one fixed-Huffman deflate block holding a literal zero and then
/// back-references of 258 bytes at distance 1, 13 bits each, so the stream is about 1/159 of what it inflates to.
public enum GzipBomb {
    /// A complete gzip member (header, deflate data, CRC-32 and size trailer) that inflates to `count` zeros.
    /// - Parameter count: The inflated size, at least 1.
    /// - Returns: The compressed bytes.
    public static func zeros(count: Int) -> [UInt8] {
        let count = max(1, count)
        var writer = BitWriter()
        writer.bytes = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]
        writer.write(1, bits: 1)  // BFINAL
        writer.write(1, bits: 2)  // BTYPE 01: fixed Huffman codes
        writer.writeCode(0x30, bits: 8)  // literal 0
        var left = count - 1
        while left >= 258 {
            writer.writeCode(0b1100_0101, bits: 8)  // length 258 (code 285)
            writer.writeCode(0, bits: 5)  // distance 1 (code 0)
            left -= 258
        }
        for _ in 0..<left { writer.writeCode(0x30, bits: 8) }
        writer.writeCode(0, bits: 7)  // end of block (code 256)
        writer.flush()
        var crc: UInt32 = 0xffff_ffff
        for _ in 0..<count { crc = crcTable[Int(crc & 0xff)] ^ (crc >> 8) }
        crc ^= 0xffff_ffff
        for value in [crc, UInt32(truncatingIfNeeded: count)] {
            writer.bytes += [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) }
        }
        return writer.bytes
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xedb8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// Packs bits least significant first, as deflate does.
    private struct BitWriter {
        var bytes: [UInt8] = []
        var pending: UInt32 = 0
        var pendingCount = 0

        /// Writes a value's low `bits` bits, least significant first (header fields, extra bits).
        mutating func write(_ value: UInt32, bits: Int) {
            pending |= value << pendingCount
            pendingCount += bits
            while pendingCount >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: pending))
                pending >>= 8
                pendingCount -= 8
            }
        }

        /// Writes a Huffman code, most significant bit first.
        mutating func writeCode(_ code: UInt32, bits: Int) {
            var reversed: UInt32 = 0
            for bit in 0..<bits { reversed |= ((code >> bit) & 1) << (bits - 1 - bit) }
            write(reversed, bits: bits)
        }

        /// Writes the last partial byte, padded with zeros.
        mutating func flush() {
            if pendingCount > 0 { bytes.append(UInt8(truncatingIfNeeded: pending)) }
            pending = 0
            pendingCount = 0
        }
    }
}
