import Hummingbird

/// Reports the router's requests (API, player, HLS through the router) to the origin's
/// observer; the event-loop fast path reports its own.
struct OriginObserverMiddleware<Context: RequestContext>: RouterMiddleware {
    let observer: any OriginObserver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let received = ContinuousClock.now
        let userAgent = request.headers[.userAgent]
        do {
            let response = try await next(request, context)
            observer.answered(OriginObservation(path: request.uri.path, status: response.status.code,
                                                bytes: request.method == .head ? 0 : response.body.contentLength ?? 0,
                                                remoteAddress: nil, userAgent: userAgent, received: received, answered: .now))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            observer.answered(OriginObservation(path: request.uri.path, status: status, bytes: 0, remoteAddress: nil,
                                                userAgent: userAgent, received: received, answered: .now))
            throw error
        }
    }
}
