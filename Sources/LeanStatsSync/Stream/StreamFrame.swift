import Foundation

/// One frame of the Stream protocol (`docs/dingtalk-api-notes.md` §12.1): `{"specVersion","type","headers","data"}`
/// with `data` a JSON object as a string.
struct StreamFrame: Sendable, Equatable {
    /// The frame's `type`.
    enum FrameType: String, Sendable {
        case system = "SYSTEM"
        case event = "EVENT"
        case callback = "CALLBACK"
    }

    var type: FrameType
    var headers: [String: String]
    var data: String

    /// The `topic` header (`ping`, `disconnect`, or the callback's topic).
    var topic: String { headers["topic"] ?? "" }
    /// The `messageId` header the reply must echo.
    var messageId: String { headers["messageId"] ?? "" }

    /// Parses a text frame; `nil` when it is not a Stream frame.
    init?(text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let type = (object["type"] as? String).flatMap(FrameType.init(rawValue:))
        else { return nil }
        self.type = type
        var headers: [String: String] = [:]
        for (name, value) in object["headers"] as? [String: Any] ?? [:] {
            if let text = JSONObject.text(value) { headers[name] = text }
        }
        self.headers = headers
        if let data = object["data"] as? String {
            self.data = data
        } else if let nested = object["data"], JSONSerialization.isValidJSONObject(nested),
            let bytes = try? JSONSerialization.data(withJSONObject: nested)
        {
            self.data = String(decoding: bytes, as: UTF8.self)
        } else {
            self.data = ""
        }
    }

    /// The reply to this frame: `{"code":200,"headers":{"contentType","messageId"},"message":"ok","data":…}`.
    /// - Parameter data: The reply's `data` string.
    func reply(data: String) -> String {
        Self.reply(messageId: messageId, code: 200, data: data)
    }

    /// The acknowledgement of an EVENT frame: status `SUCCESS`, or `LATER` to have it delivered again.
    /// - Parameter success: Whether the event was handled.
    func ack(success: Bool) -> String {
        let status = success ? #"{"status":"SUCCESS","message":"success"}"# : #"{"status":"LATER","message":"later"}"#
        return Self.reply(messageId: messageId, code: success ? 200 : 500, data: status)
    }

    private static func reply(messageId: String, code: Int, data: String) -> String {
        let object: [String: Any] = [
            "code": code, "headers": ["contentType": "application/json", "messageId": messageId],
            "message": code == 200 ? "ok" : "later", "data": data,
        ]
        let bytes = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: bytes, as: UTF8.self)
    }
}
