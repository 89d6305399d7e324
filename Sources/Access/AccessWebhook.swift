import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// The access webhook's client: POSTs `{"action", "path", "query", "protocol", "remote"}` as
/// JSON; any 2xx allows. One HTTP client for the server, made on first use (a server without a
/// webhook never starts one) and shut down with the server.
public final class AccessWebhook: Sendable {
    public enum Answer: Sendable, Equatable {
        case allowed
        /// The hook answered with this non-2xx status.
        case denied(status: Int)
        /// No answer in time, or no connection: `failOpen` decides.
        case unreachable(String)
    }

    private struct State {
        var client: HTTPClient?
        var closed = false
    }
    private let state = Mutex(State())

    public init() {}

    private struct Payload: Encodable {
        var action: String
        var path: String
        var query: String
        var `protocol`: String
        var remote: String
    }

    public func ask(url: String, timeoutMs: Int, request: AccessRequest) async -> Answer {
        guard let client = state.withLock({ s -> HTTPClient? in
            if s.closed { return nil }
            if s.client == nil {
                var configuration = HTTPClient.Configuration()
                configuration.redirectConfiguration = .disallow // a redirect is not an answer
                s.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            }
            return s.client
        }) else { return .unreachable("the server is stopping") }
        var http = HTTPClientRequest(url: url)
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        let payload = Payload(action: request.action.rawValue, path: request.path, query: request.query,
                              protocol: request.transport, remote: request.remote)
        guard let body = try? JSONEncoder().encode(payload) else { return .unreachable("could not encode the request") }
        http.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(http, timeout: .milliseconds(Int64(min(max(timeoutMs, 1), 60_000))))
            let status = Int(response.status.code)
            return (200..<300).contains(status) ? .allowed : .denied(status: status)
        } catch {
            return .unreachable("\(error)")
        }
    }

    /// Shuts the client down (once); later questions are answered `unreachable`.
    public func shutdown() async {
        let client = state.withLock { s -> HTTPClient? in
            s.closed = true
            defer { s.client = nil }
            return s.client
        }
        try? await client?.shutdown()
    }
}
