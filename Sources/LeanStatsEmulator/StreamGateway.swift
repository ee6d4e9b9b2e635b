import Foundation
import Hummingbird
import HummingbirdWebSocket
import LeanStatsCore
import Logging

/// The emulated Stream gateway's WebSocket endpoint, `ws://127.0.0.1:<port>/connect?ticket=…`, served with
/// HummingbirdWebSocket on its own loopback port; the protocol itself is in ``StreamHub``.
final class StreamGateway: Sendable {
    private let hub: StreamHub
    private let running: Task<Void, Never>

    /// Starts serving; `connections/open` waits for the port.
    /// - Parameters:
    ///   - hub: The gateway's state.
    ///   - port: The port, or 0 for a free one.
    init(hub: StreamHub, port: UInt16 = 0) {
        self.hub = hub
        hub.gatewayStarting()
        let logger = Logger(label: "leanstats.emulator.stream") { _ in SwiftLogNoOpLogHandler() }
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws(
            "/connect",
            shouldUpgrade: { request, _ in
                guard hub.redeem(request.uri.queryParameters["ticket"].map(String.init) ?? "") else {
                    throw HTTPError(.unauthorized, message: "missing, used or expired ticket")
                }
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, _ in
                await Self.serve(hub: hub, inbound: inbound, outbound: outbound)
            }
        )
        let application = Application(
            router: Router(),
            server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: Int(port)), serverName: nil),
            onServerRunning: { channel in
                hub.setEndpoint("ws://127.0.0.1:\(channel.localAddress?.port ?? 0)/connect")
            },
            logger: logger
        )
        // Its own thread, like the client's, so a busy machine delays no ping, ack or upgrade.
        running = Task(executorPreference: DedicatedExecutor.stream) {
            try? await application.runService(gracefulShutdownSignals: [])
        }
    }

    /// Closes every connection and stops listening.
    func stop() {
        hub.stop()
        running.cancel()
    }

    /// Runs one connection: a reader for acks and ping replies, a ticker for redeliveries and pings, and a writer
    /// that sends what the hub says, until either side closes.
    private static func serve(hub: StreamHub, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async
    {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = hub.attach(wake)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message { hub.receive(text) }
                    }
                } catch {}
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(25))
                    wake.yield()
                }
            }
            group.addTask {
                writing: for await _ in wakes {
                    for action in hub.work(for: id) {
                        switch action {
                        case .frame(let text, _):
                            do { try await outbound.write(.text(text)) } catch { break writing }
                        case .close:
                            break writing
                        }
                    }
                }
                // Closing ends the reader once the client answers (or the close times out).
                try? await outbound.close(.goingAway, reason: nil)
            }
            await group.next()
            group.cancelAll()
        }
        wake.finish()
        hub.detach(id)
    }
}
