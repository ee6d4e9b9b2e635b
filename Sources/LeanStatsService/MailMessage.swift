import Foundation

/// One e-mail: a UTF-8 subject and text body, optionally one attachment, rendered as a MIME message (RFC 5322,
/// RFC 2045–2047) with CRLF line ends.
public struct MailMessage: Sendable, Equatable {
    /// A file attached to the message.
    public struct Attachment: Sendable, Equatable {
        /// The file name shown to the recipient.
        public var fileName: String
        /// The MIME type, e.g. the xlsx type.
        public var contentType: String
        /// The file's bytes.
        public var bytes: [UInt8]

        /// The MIME type of an Excel workbook.
        public static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

        /// Creates an attachment.
        public init(fileName: String, contentType: String, bytes: [UInt8]) {
            self.fileName = fileName
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    /// The sender, `addr@example.com` or `Name <addr@example.com>`.
    public var from: String
    /// The recipients' addresses.
    public var to: [String]
    /// The subject; any Unicode.
    public var subject: String
    /// The plain-text body; any Unicode.
    public var body: String
    /// An optional attachment.
    public var attachment: Attachment?

    /// Creates a message.
    public init(from: String, to: [String], subject: String, body: String, attachment: Attachment? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.attachment = attachment
    }

    /// The bare address of a `Name <addr>` form, for the SMTP envelope.
    static func address(_ text: String) -> String {
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            return String(text[text.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The message as sent: headers, then a `multipart/mixed` body (or a single text part).
    /// - Parameters:
    ///   - date: The `Date:` header's time.
    ///   - boundary: The multipart boundary (fixed in tests).
    /// - Returns: The bytes, lines ending in CRLF.
    public func rendered(date: Date = Date(), boundary: String = "leanstats-\(UUID().uuidString)") -> [UInt8] {
        var lines = [
            "From: \(encodedAddress(from))",
            "To: \(to.map(encodedAddress).joined(separator: ", "))",
            "Subject: \(Self.encodedWords(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(UUID().uuidString.lowercased())@leanstats>",
            "MIME-Version: 1.0",
        ]
        let text =
            [
                "Content-Type: text/plain; charset=UTF-8",
                "Content-Transfer-Encoding: base64",
                "",
            ] + Self.base64Lines(Array(body.utf8))
        if let attachment {
            lines.append("Content-Type: multipart/mixed; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            lines.append("--\(boundary)")
            lines += text
            lines.append("--\(boundary)")
            let name = Self.encodedWords(attachment.fileName)
            lines.append("Content-Type: \(attachment.contentType); name=\"\(name)\"")
            lines.append("Content-Disposition: attachment; filename=\"\(name)\"")
            lines.append("Content-Transfer-Encoding: base64")
            lines.append("")
            lines += Self.base64Lines(attachment.bytes)
            lines.append("--\(boundary)--")
        } else {
            lines += text
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// An address header value with a non-ASCII display name encoded.
    private func encodedAddress(_ text: String) -> String {
        guard let open = text.lastIndex(of: "<"), text[..<open].contains(where: { !$0.isASCII }) else { return text }
        let name = text[..<open].trimmingCharacters(in: .whitespaces)
        return "\(Self.encodedWords(name)) \(text[open...])"
    }

    /// A header text as RFC 2047 encoded words (`=?UTF-8?B?…?=`) when it is not plain ASCII; long texts become
    /// several words on folded lines, never splitting a character.
    static func encodedWords(_ text: String) -> String {
        guard text.contains(where: { !$0.isASCII || $0 == "\r" || $0 == "\n" }) else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            // 45 bytes of UTF-8 become 60 characters of base64: with `=?UTF-8?B?` and `?=` the word stays under
            // RFC 2047's 75.
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Bytes as base64 in lines of 76 characters.
    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Data(bytes).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn,
            .endLineWithLineFeed,
        ])
        return encoded.isEmpty ? [""] : encoded.components(separatedBy: "\r\n")
    }

    /// A `Date:` header value, e.g. `Sat, 29 Nov 2025 08:00:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
