import Foundation

/// A message for a DingTalk group robot or a work notification: markdown (alerts) or an action card with buttons
/// (the monthly summary).
public struct RobotMessage: Sendable, Equatable {
    /// A button of an action card.
    public struct Button: Sendable, Equatable {
        /// The label.
        public var title: String
        /// Where it leads.
        public var url: String

        /// Creates a button.
        public init(title: String, url: String) {
            self.title = title
            self.url = url
        }
    }

    /// The title (the notification's preview line).
    public var title: String
    /// The markdown text.
    public var text: String
    /// The buttons; an action card when not empty, else plain markdown.
    public var buttons: [Button]

    /// Creates a message.
    /// - Parameters:
    ///   - title: The title.
    ///   - text: The markdown text.
    ///   - buttons: The buttons, none for a markdown message.
    public init(title: String, text: String, buttons: [Button] = []) {
        self.title = title
        self.text = text
        self.buttons = buttons
    }

    /// The body to post to a robot webhook: `msgtype` `markdown` or `actionCard`.
    public var robotJSON: [UInt8] {
        let object: [String: Any]
        if buttons.isEmpty {
            object = ["msgtype": "markdown", "markdown": ["title": title, "text": text]]
        } else {
            let buttons = buttons.map { ["title": $0.title, "actionURL": $0.url] }
            object = [
                "msgtype": "actionCard",
                "actionCard": ["title": title, "text": text, "btnOrientation": "1", "btns": buttons],
            ]
        }
        return Self.encode(object)
    }

    /// The `msg` object of a work notification: `markdown` or `action_card`.
    public var workNotificationJSON: [UInt8] {
        let object: [String: Any]
        if buttons.isEmpty {
            object = ["msgtype": "markdown", "markdown": ["title": title, "text": text]]
        } else {
            let buttons = buttons.map { ["title": $0.title, "action_url": $0.url] }
            object = [
                "msgtype": "action_card",
                "action_card": ["title": title, "markdown": text, "btn_orientation": "1", "btn_json_list": buttons],
            ]
        }
        return Self.encode(object)
    }

    private static func encode(_ object: [String: Any]) -> [UInt8] {
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: options)) ?? Data("{}".utf8))
    }
}
