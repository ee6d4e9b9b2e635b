import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow: a request head must arrive within
/// ``EdgeLimits/headerTimeout`` of the connection opening or of the previous response, and its body within
/// ``EdgeLimits/bodyTimeout`` of the head. Bytes trickling in do not extend either deadline, so a client sending a
/// header a byte at a time holds its connection for the header timeout at most.
///
/// The time the routes take to answer is not limited here: between a complete request and its response no deadline
/// runs. A response that says `Connection: close` closes the connection once it is written, so a request body the
/// routes refused is never read.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// Requests whose head has arrived and whose response has not ended.
    private var unanswered = 0
    /// Whether the response being written asked to close the connection.
    private var closeAfterResponse = false

    init(limits: EdgeLimits) {
        headerTimeout = .nanoseconds(Int64(limits.headerTimeout * 1e9))
        bodyTimeout = .nanoseconds(Int64(limits.bodyTimeout * 1e9))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(headerTimeout, context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(headerTimeout, context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            arm(bodyTimeout, context)
        case .body:
            break
        case .end:
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
        case .body:
            break
        case .end:
            if closeAfterResponse {
                disarm()
                context.writeAndFlush(data, promise: promise)
                context.close(promise: nil)
                return
            }
            unanswered = max(0, unanswered - 1)
            if unanswered == 0 { arm(headerTimeout, context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ timeout: TimeAmount, _ context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
