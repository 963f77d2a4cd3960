import Foundation
import XCTest
import _DiffuseTestSupport
@testable import DiffuseTensor

/// Each class of hostile input found by fuzzing the readers is an error naming the file and the
/// problem: no trap, no hang, no value other than the file's.
final class HostileInputTests: XCTestCase {
    /// A version 1.0 `.npy` file with this header text and these data bytes.
    private func npy(_ header: String, data: [UInt8]) -> Data {
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let text = Array(header.utf8) + [0x0A]
        bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
        return Data(bytes)
    }

    private func assertNumPyError(_ data: Data, contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try NumPyFile.decode(data, path: "hostile.npy"), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("hostile.npy: ") && text.contains(fragment), text, file: file, line: line)
        }
    }

    func testNumPyShapesWhoseSizeOverflowsAreErrors() {
        assertNumPyError(npy("{'descr':'<f8','fortran_order':False,'shape':(2305843009213693952,)}", data: []),
                         contains: "size in bytes (2305843009213693952 × 8) overflows")
        // Wrapping multiplication made this a one-element array.
        assertNumPyError(npy("{'descr':'<f4','fortran_order':False,'shape':(7, 7905747460161236407)}", data: [0, 0, 0x80, 0x3F]),
                         contains: "element count overflows")
        // An empty array with a 2⁶¹ axis held nothing, and copying it did not end.
        assertNumPyError(npy("{'descr':'<f4','fortran_order':False,'shape':(0, 2305843009213693952)}", data: []),
                         contains: "empty array")
        assertNumPyError(npy("{'descr':'<f4','fortran_order':False,'shape':(99999999999999999999,)}", data: []),
                         contains: "does not fit a 64-bit integer")
    }

    func testNumPyHeadersAreParsedStrictly() throws {
        // Python 2 long suffixes used to be deleted anywhere: 1L2 read as 12.
        assertNumPyError(npy("{'descr':'<f4','fortran_order':False,'shape':(1L2,)}", data: Array(repeating: 0, count: 48)),
                         contains: "malformed dimension '1L2'")
        assertNumPyError(npy("{'descr':'<f4','fortran_order':False,'shape':(1,),'shape':(2,)}", data: [0, 0, 0, 0]),
                         contains: "'shape' field twice")
        assertNumPyError(npy("{'descr':'<f4','fortran_order':False,'shape':(1,),'extra':1}", data: [0, 0, 0, 0]),
                         contains: "unknown field 'extra'")
        assertNumPyError(npy("{'descr':'<f4','fortran_order':False,'shape':(-1,)}", data: [0, 0, 0, 0]),
                         contains: "malformed dimension")
        assertNumPyError(npy("{'descr':'<f4','fortran_order':False,'shape':(1,)} trailing", data: [0, 0, 0, 0]),
                         contains: "text after the dictionary")
        // What numpy writes is read, spacing and key order as it comes.
        XCTAssertEqual(try NumPyFile.decode(npy("{ 'shape' : (1, 2), 'fortran_order': False, 'descr': '<i4', }   ", data: [1, 0, 0, 0, 2, 0, 0, 0])),
                       .int32(shape: [1, 2], values: [1, 2]))
        XCTAssertEqual(try NumPyFile.decode(npy("{'descr':'<f8','fortran_order':False,'shape':(0, 5)}", data: [])).shape, [0, 5])
    }

    func testDeclaredShapeLimits() {
        XCTAssertEqual(try DeclaredShape.byteCount(of: [3, 4], itemSize: 8).get(), 96)
        XCTAssertEqual(try DeclaredShape.byteCount(of: [], itemSize: 4).get(), 4)
        XCTAssertEqual(try DeclaredShape.byteCount(of: [0, 1 << 24], itemSize: 4).get(), 0)
        XCTAssertThrowsError(try DeclaredShape.byteCount(of: [0, 1 << 24, 2], itemSize: 4).get())
        XCTAssertThrowsError(try DeclaredShape.byteCount(of: [Int(Int32.max), Int(Int32.max)], itemSize: 8).get())
        XCTAssertThrowsError(try DeclaredShape.byteCount(of: [2, -1], itemSize: 8).get())
    }

    func testCSVCellsAreDecimalNumbersWithoutControlBytes() throws {
        func error(_ text: String) -> String {
            do { _ = try CSVTable(text: text, source: "cells.csv").numericColumn(named: "x"); return "accepted" } catch { return "\(error)" }
        }
        // A NUL byte used to end the number: 23\0928.3 read as 23.
        XCTAssertEqual(error("t,x\n1,23\u{0}928.3\n"), "cells.csv:2: field 2 contains the control byte 0x00")
        XCTAssertEqual(error("t,x\n1,\"4\u{7}\"\n"), "cells.csv:2: field 2 contains the control byte 0x07")
        XCTAssertEqual(error("t,x\n1,2\n2,0x10\n"), "cells.csv:3: column 'x': '0x10' is not a decimal number")
        XCTAssertEqual(error("t,x\n1,0x1p3\n"), "cells.csv:2: column 'x': '0x1p3' is not a decimal number")
        XCTAssertEqual(error("t,x\n1,1_000\n"), "cells.csv:2: column 'x': '1_000' is not a decimal number")
        XCTAssertEqual(error("t,x\n1,inf\n"), "cells.csv:2: column 'x': 'inf' is not finite (leave the cell empty for a missing value)")
        XCTAssertEqual(error("t,x\n1,1e999\n"), "cells.csv:2: column 'x': '1e999' is outside the range of a Double (magnitudes up to about 1.8e308 and down to 4.9e-324)")
        let table = try CSVTable(text: "t,x\n1,+1.5e3\n2,.5\n3,-7.\n4,NaN\n5, 2 \n6,\"3\"\n7,\t4\u{9}\n", source: "ok.csv")
        XCTAssertEqual(try table.numericColumn(named: "x").map { $0 ?? .nan }.description, [1500, 0.5, -7, .nan, 2, 3, 4].description)
        // Tabs and quoted line breaks are text, not control bytes.
        XCTAssertEqual(try CSVTable(text: "a,b\n\"x\ny\",\tz\n").rows, [["x\ny", "\tz"]])
    }

    func testDecimalNumberGrammar() {
        for good in ["0", "-0", "+12", "1.", ".5", "1.5e-3", "2E+4", "007"] { XCTAssertNotNil(DecimalNumber.parse(good), good) }
        for bad in ["", "+", ".", "e5", "1e", "1e+", "0x10", "0x1p3", "1.2.3", "inf", "nan", " 1", "1 ", "1,5", "١٢", "1e99999"] {
            XCTAssertNil(DecimalNumber.parse(bad), bad)
        }
    }

    func testAbandonedTemporaryFilesAreRemovedOnTheNextWrite() throws {
        let folder = try makeTemporaryFolder()
        let target = folder.appendingPathComponent("config.json")
        // A writer killed mid-write (no process has this identifier: Linux's maximum is 2²²).
        let abandoned = folder.appendingPathComponent(".config.json.999999999.12345.tmp")
        // A concurrent writer that is still running: this process.
        let running = folder.appendingPathComponent(".config.json.\(ProcessInfo.processInfo.processIdentifier).7.tmp")
        let unrelated = folder.appendingPathComponent(".other.json.999999999.1.tmp")
        for url in [abandoned, running, unrelated] { try Data("partial".utf8).write(to: url) }
        // A writer whose identifier means nothing here (another PID namespace) but that holds
        // its lock: kept.
        let locked = folder.appendingPathComponent(".config.json.999999998.5.tmp")
        try Data("partial".utf8).write(to: locked)
        let descriptor = open(locked.path, O_RDONLY)
        XCTAssertEqual(flock(descriptor, LOCK_EX), 0)
        defer { close(descriptor) }
        try AtomicFile.write("{}", to: target)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        XCTAssertEqual(left, ["config.json", running.lastPathComponent, unrelated.lastPathComponent, locked.lastPathComponent])
    }

    func testReadAndWriteErrorsSayWhy() throws {
        let folder = try makeTemporaryFolder()
        XCTAssertThrowsError(try CSVTable(contentsOf: folder)) {
            XCTAssertEqual("\($0)", "\(folder.path): cannot read file: it is a folder, not a file")
        }
        XCTAssertThrowsError(try NumPyFile.read(folder.appendingPathComponent("none.npy"))) {
            XCTAssertTrue("\($0)".hasSuffix("none.npy: cannot read file: no such file"), "\($0)")
        }
        XCTAssertThrowsError(try AtomicFile.write("x", to: URL(fileURLWithPath: "/proc/diffuse-out/results.json"))) {
            XCTAssertTrue("\($0)".contains("'/proc' does not accept a new folder 'diffuse-out'"), "\($0)")
        }
        XCTAssertThrowsError(try AtomicFile.write("x", to: URL(fileURLWithPath: "/proc/results.json"))) {
            XCTAssertTrue($0 is FileWriteError && "\($0)".hasPrefix("cannot write '/proc/results.json': cannot create a file in '/proc'"), "\($0)")
        }
    }
}

/// Review findings: one-column blank lines, underflow, Python's (3), fraction digits.
final class StrictReadingTests: XCTestCase {
    func testOneColumnBlankLinesAreMissingValues() throws {
        let table = try CSVTable(text: "x\n1\n\n3\n", source: "one.csv")
        XCTAssertEqual(try table.numericColumn(named: "x").map { $0 ?? -1 }, [1, -1, 3])
        XCTAssertEqual(table.lineNumbers, [2, 3, 4])
        // With two columns an empty line is still skipped.
        XCTAssertEqual(try CSVTable(text: "a,b\n1,2\n\n3,4\n").rowCount, 2)
    }

    func testNumbersTooSmallForDoubleAreRefused() {
        XCTAssertNil(DecimalNumber.parse("1e-400"))
        XCTAssertEqual(DecimalNumber.parse("0e-400"), 0)
        XCTAssertEqual(DecimalNumber.parse("5e-324"), 5e-324)
        XCTAssertThrowsError(try CSVTable(text: "x\n1e-400\n", source: "tiny.csv").numericColumn(named: "x")) {
            XCTAssertTrue("\($0)".contains("outside the range of a Double"), "\($0)")
        }
    }

    func testAOneDimensionalShapeNeedsItsComma() {
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let text = Array("{'descr':'<f4','fortran_order':False,'shape':(1)}\n".utf8)
        bytes += [UInt8(text.count), 0] + text + [0, 0, 0, 0]
        XCTAssertThrowsError(try NumPyFile.decode(Data(bytes), path: "p.npy")) { XCTAssertTrue("\($0)".contains("written (n,)"), "\($0)") }
    }
}

final class LineEndTests: XCTestCase {
    /// A lone CR ends a line (old Mac files), an empty one included.
    func testALoneCarriageReturnEndsALine() throws {
        let table = try CSVTable(text: "\r\"t\",x\r1,2\r\r3,4\r", source: "mac.csv")
        XCTAssertEqual(table.header, ["t", "x"])
        XCTAssertEqual(table.rows, [["1", "2"], ["3", "4"]])
    }
}
