import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if !SLUICE_TSAN
import Synchronization
#endif

/// GETs with the three times an ABR policy needs: request start, first byte (the response
/// head), last byte. `URLSession.data(from:)` gives only the end; a session delegate sees the
/// head arrive. One request at a time per instance, as a player's media loader does.
public final class TimedFetch: NSObject, URLSessionDataDelegate, Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        /// Request start → response head, milliseconds.
        public var firstByteMs: Double
        /// Response head → last byte, milliseconds.
        public var transferMs: Double
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private struct Pending {
        var start = ContinuousClock.now
        var firstByte: ContinuousClock.Instant?
        var status = 0
        var body = Data()
        var continuation: CheckedContinuation<Response, any Error>?
    }

    private let state = Mutex<Pending?>(nil)
    private let session = Mutex<URLSession?>(nil)

    public override init() {
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 15
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session.withLock { $0 = URLSession(configuration: configuration, delegate: self, delegateQueue: nil) }
    }

    /// Ends the session (it holds its delegate strongly).
    public func close() {
        session.withLock {
            $0?.invalidateAndCancel()
            $0 = nil
        }
    }

    public func get(_ url: URL) async throws -> Response {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Response, any Error>) in
            guard let session = session.withLock({ $0 }) else {
                return c.resume(throwing: Failure(description: "fetch closed"))
            }
            state.withLock { $0 = Pending(continuation: c) }
            session.dataTask(with: url).resume()
        }
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                           completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        state.withLock {
            $0?.firstByte = ContinuousClock.now
            $0?.status = (response as? HTTPURLResponse)?.statusCode ?? 0
        }
        completionHandler(.allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        state.withLock {
            if $0?.firstByte == nil { $0?.firstByte = ContinuousClock.now }
            $0?.body.append(data)
        }
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let end = ContinuousClock.now
        guard let pending = state.withLock({ p -> Pending? in defer { p = nil }; return p }),
              let continuation = pending.continuation else { return }
        if let error { return continuation.resume(throwing: error) }
        let first = pending.firstByte ?? end
        continuation.resume(returning: Response(status: pending.status, body: pending.body,
                                                firstByteMs: Self.ms(first - pending.start), transferMs: Self.ms(end - first)))
    }

    static func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
