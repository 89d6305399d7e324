import HLS
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with `OriginFastPath` in front of the HTTP-types
/// codec: HLS GETs are answered on the event loop, the rest reach Hummingbird's router.
struct OriginHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let registry: HLSRegistry
    let serverName: String?
    let limits: OriginLimits
    let observer: (any OriginObserver)?
    var access: OriginAccess?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if let perIP = access?.perIP {
            let ip = channel.remoteAddress?.ipAddress ?? "?"
            guard perIP.open(ip) else {
                if let suppressed = perIP.shouldLog() {
                    logger.warning("HTTP connection refused: too many connections from \(ip) (limits.maxConnectionsPerIP)",
                                   metadata: ["refused-since-last-line": "\(suppressed)"])
                }
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
            }
            channel.closeFuture.whenComplete { _ in perIP.close(ip) }
        }
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderListSize = limits.maxRequestBytes
            decoderLimits.maxHeaderFieldSize = limits.maxRequestBytes
            decoderLimits.maxHeaderFieldCount = 100
            let connectionGuard = OriginConnectionGuard(limits: limits, logger: logger)
            try pipeline.addHandler(connectionGuard)
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, // OriginFastPath orders responses
                withErrorHandling: false, // Hummingbird answers protocol errors
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try pipeline.addHandler(OriginFastPath(registry: registry, serverName: serverName, connectionGuard: connectionGuard,
                                                   observer: observer, access: access))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
