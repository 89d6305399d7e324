import NIOCore
import NIOPosix

/// Runs one viewer until the deadline, reconnecting (after 200 ms, counted as an error)
/// when its connection fails.
final class ViewerDriver {
    let target: ViewerTarget
    let path: String
    let loop: any EventLoop
    let deadline: NIODeadline
    let tally: ViewerTally
    let done: EventLoopPromise<Void>
    let listed: ListedParts?
    let watcher: Bool

    private init(target: ViewerTarget, path: String, loop: any EventLoop, deadline: NIODeadline, tally: ViewerTally,
                 listed: ListedParts?, watcher: Bool) {
        self.listed = listed
        self.watcher = watcher
        self.target = target
        self.path = path
        self.loop = loop
        self.deadline = deadline
        self.tally = tally
        done = loop.makePromise()
    }

    /// On `loop`; `tally` is that loop's.
    /// `listed`: parts' listing times at the origin (a `watcher` records them there, viewers read them).
    static func run(target: ViewerTarget, path: String, loop: any EventLoop, deadline: NIODeadline, tally: ViewerTally,
                    listed: ListedParts? = nil, watcher: Bool = false) -> EventLoopFuture<Void> {
        let driver = ViewerDriver(target: target, path: path, loop: loop, deadline: deadline, tally: tally,
                                  listed: listed, watcher: watcher)
        driver.connect()
        return driver.done.futureResult
    }

    private func connect() {
        guard NIODeadline.now() < deadline else { return done.succeed() }
        let me = NIOLoopBound(self, eventLoop: loop)
        let tally = NIOLoopBound(tally, eventLoop: loop)
        let dropped = loop.makePromise(of: Bool.self)
        let (host, path, deadline, listed, watcher) = (target.host, path, deadline, listed, watcher)
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ViewerHandler(host: host, base: path, deadline: deadline, tally: tally.value, dropped: dropped,
                                      listed: listed, watcher: watcher))
                }
            }
            .connect(host: target.host, port: target.port)
            .whenFailure { _ in dropped.succeed(true) }
        dropped.futureResult.whenSuccess { dropped in
            let driver = me.value
            guard dropped else { return driver.done.succeed() }
            driver.tally.stats.error("connection failed or dropped")
            driver.loop.scheduleTask(in: .milliseconds(200)) { me.value.connect() }
        }
    }
}
