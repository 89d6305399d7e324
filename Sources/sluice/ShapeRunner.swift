import LinkShaper
import NIOCore

/// Owns one `sluice shape` run on its event loop: the two links, the TCP or UDP relay, the
/// per-second stats, and the summary when it stops.
final class ShapeRunner: Sendable {
    struct Plan: Sendable {
        var udp: Bool
        var target: SocketAddress
        var up: LinkShaperConfiguration
        var down: LinkShaperConfiguration
        var shapedUp: Bool
        var shapedDown: Bool
        var statsFile: ShapeStatsFile?
    }

    final class State {
        let up: ShapedLink
        let down: ShapedLink
        /// The shaped directions: these get stats lines and a summary.
        let reported: [ShapedLink]
        let tcp: TCPShapeRelay?
        let udp: UDPShapeRelay?
        var ticker: RepeatedTask?

        init(plan: Plan, loop: any EventLoop) {
            let origin = NIODeadline.now()
            up = ShapedLink(name: "up", configuration: plan.up, origin: origin)
            down = ShapedLink(name: "down", configuration: plan.down, origin: origin)
            reported = (plan.shapedUp ? [up] : []) + (plan.shapedDown ? [down] : [])
            tcp = plan.udp ? nil : TCPShapeRelay(loop: loop, target: plan.target, up: up, down: down)
            udp = plan.udp ? UDPShapeRelay(loop: loop, target: plan.target, up: up, down: down) : nil
        }
    }

    private let loop: any EventLoop
    private let plan: Plan
    private let state: NIOLoopBoundBox<State?>  // set on the loop by start()

    init(loop: any EventLoop, plan: Plan) {
        self.loop = loop
        self.plan = plan
        state = NIOLoopBoundBox.makeEmptyBox(valueType: State.self, eventLoop: loop)
    }

    /// Binds; the address has the real port.
    func start(listen: SocketAddress) -> EventLoopFuture<SocketAddress?> {
        let box = state, plan = plan, loop = loop
        return loop.flatSubmit {
            let s = State(plan: plan, loop: loop)
            box.value = s
            let started = s.tcp?.start(listen: listen) ?? s.udp?.start(listen: listen) ?? loop.makeSucceededFuture(nil)
            return started.map { address in
                if let file = plan.statsFile, let s = box.value {
                    s.ticker = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                        if let s = box.value { file.write(s.reported.map { $0.sample() }) }
                    }
                }
                return address
            }
        }
    }

    /// Stops relaying; the last partial interval and the summaries go to the stats file.
    func stop() -> EventLoopFuture<[LinkSummary]> {
        let box = state, plan = plan, loop = loop
        return loop.flatSubmit {
            guard let s = box.value else { return loop.makeSucceededFuture([]) }
            s.ticker?.cancel()
            let summaries = s.reported.map { $0.summary() }
            if let file = plan.statsFile {
                file.write(s.reported.map { $0.sample() })
                file.writeSummary(summaries)
            }
            let stopped = s.tcp?.stop() ?? s.udp?.stop() ?? loop.makeSucceededVoidFuture()
            box.value = nil
            return stopped.map { summaries }
        }
    }
}

@available(*, unavailable)
extension ShapeRunner.State: Sendable {}
