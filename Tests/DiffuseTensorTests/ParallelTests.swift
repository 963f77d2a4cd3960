import Foundation
import XCTest
@testable import DiffuseTensor

/// The thread pool behind `Parallel`: every index runs exactly once, nested loops run serially,
/// and loops submitted from several threads at once (one takes the pool, the others run on
/// their own thread) all complete.
final class ParallelTests: XCTestCase {
    func testEveryIndexRunsOnceOverManyJobs() {
        for job in 0..<2000 {
            let count = 1 + job % 37
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
            hits.initialize(repeating: 0)
            Parallel.forEach(iterations: count) { i in hits[i] += 1 }
            XCTAssertTrue(hits.allSatisfy { $0 == 1 }, "job \(job)")
            hits.deallocate()
        }
    }

    func testNestedLoopsRunSeriallyInsideAJob() {
        let inner = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 8)
        inner.initialize(repeating: false)
        XCTAssertFalse(Parallel.isInsideParallelRegion)
        Parallel.forEach(iterations: 8) { i in
            XCTAssertTrue(Parallel.isInsideParallelRegion)
            var seen = 0
            Parallel.forEach(iterations: 5) { _ in seen += 1 }   // serial: no data race on `seen`
            inner[i] = seen == 5
        }
        XCTAssertFalse(Parallel.isInsideParallelRegion)
        XCTAssertTrue(inner.allSatisfy { $0 })
        inner.deallocate()
    }

    func testConcurrentSubmittersAllComplete() {
        let submitters = 4, jobs = 300
        let totals = UnsafeMutableBufferPointer<Int>.allocate(capacity: submitters)
        totals.initialize(repeating: 0)
        DispatchQueue.concurrentPerform(iterations: submitters) { s in
            for _ in 0..<jobs {
                let parts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 16)
                parts.initialize(repeating: 0)
                Parallel.forEach(iterations: 16) { i in parts[i] = i }
                totals[s] += parts.reduce(0, +)
                parts.deallocate()
            }
        }
        XCTAssertEqual(Array(totals), [Int](repeating: jobs * 120, count: submitters))
        totals.deallocate()
    }

    /// `map` returns one result per item, in the items' order, also when the items outnumber the
    /// threads many times over.
    func testMapKeepsTheOrderOfItems() {
        let items = Array(0..<1000).map { "item \($0)" }
        XCTAssertEqual(Parallel.map(items) { $0.uppercased() }, items.map { $0.uppercased() })
        XCTAssertEqual(Parallel.map([Int]()) { $0 }, [])
    }

    /// `stackingRowBlocks` visits fixed blocks (the last one shorter), stacks them in order, runs
    /// the blocks inside the pool (their own operations serially) and gives the same tensor on 1
    /// and 2 threads.
    func testRowBlocksStackInOrderAndDoNotDependOnTheThreadCount() {
        let x = Tensor<Float>(shape: [37, 3], scalars: (0..<111).map { Float($0) * 0.25 })
        func evaluate() -> (Tensor<Float>, [Range<Int>]) {
            let lock = NSLock()
            var seen = [Range<Int>]()
            let y = Tensor.stackingRowBlocks(count: 37, blockSize: 8) { rows in
                lock.lock(); seen.append(rows); lock.unlock()
                return (x.slice(axis: 0, rows) * 2).softmax(alongAxis: 1)
            }
            return (y, seen.sorted { $0.lowerBound < $1.lowerBound })
        }
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 2
        let (parallel, blocks) = evaluate()
        Parallel.threadCount = 1
        let (serial, _) = evaluate()
        XCTAssertEqual(blocks, [0..<8, 8..<16, 16..<24, 24..<32, 32..<37])
        XCTAssertEqual(parallel.shape, [37, 3])
        XCTAssertEqual(parallel.scalars, serial.scalars)
        XCTAssertEqual(parallel.scalars, (x * 2).softmax(alongAxis: 1).scalars)
        // One block: the body sees all rows.
        XCTAssertEqual(Tensor<Float>.stackingRowBlocks(count: 5, blockSize: 8) { Tensor(shape: [$0.count], repeating: 1) }.shape, [5])
    }
}
