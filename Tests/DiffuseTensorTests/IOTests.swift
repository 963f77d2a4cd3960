import Foundation
import XCTest
import _DiffuseTestSupport
@testable import DiffuseTensor

final class IOTests: XCTestCase {
    private func fixture(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
    }

    func testReadsFilesWrittenByNumPy() throws {
        let f8 = try NumPyFile.read(fixture("numpy_f8_2x3.npy"))
        XCTAssertEqual(f8, .float64(Tensor(shape: [2, 3], scalars: [-0.5, -0.25, 0, 0.25, 0.5, 0.75])))
        let f4 = try NumPyFile.read(fixture("numpy_f4_4.npy"))
        XCTAssertEqual(f4, .float32(Tensor([1.5, -2.25, 3e-8, 1e30])))
        XCTAssertEqual(try NumPyFile.read(fixture("numpy_i8_3.npy")), .int64(shape: [3], values: [7, -1, 1 << 40]))
        XCTAssertEqual(try NumPyFile.read(fixture("numpy_i4_2x2.npy")), .int32(shape: [2, 2], values: [1, 2, 3, -4]))
        XCTAssertEqual(try NumPyFile.readTensor(fixture("numpy_f8_scalar.npy"), as: Double.self).scalar, 2.5)
        XCTAssertEqual(try NumPyFile.readTensor(fixture("numpy_i4_2x2.npy"), as: Float.self).scalars, [1, 2, 3, -4])
    }

    func testRoundTrips() throws {
        let folder = try makeTemporaryFolder()
        let d = Tensor<Double>.randomNormal(shape: [3, 4, 2], key: RandomKey(seed: 1))
        try NumPyFile.write(d, to: folder.appendingPathComponent("d.npy"))
        XCTAssertEqual(try NumPyFile.read(folder.appendingPathComponent("d.npy")), .float64(d))
        let f = Tensor<Float>.randomNormal(shape: [5], key: RandomKey(seed: 2)).transposedIfMatrix()
        try NumPyFile.write(f, to: folder.appendingPathComponent("f.npy"))
        XCTAssertEqual(try NumPyFile.read(folder.appendingPathComponent("f.npy")), .float32(f))
        // A non-contiguous view is written in C order.
        let view = Tensor<Double>(rows: [[1, 2], [3, 4]]).transposed()
        XCTAssertEqual(try NumPyFile.decode(NumPyFile.encode(view)), .float64(Tensor(rows: [[1, 3], [2, 4]])))
        XCTAssertEqual(try NumPyFile.decode(NumPyFile.encode(Tensor<Double>(3))), .float64(Tensor(3)))
        XCTAssertEqual(try NumPyFile.decode(NumPyFile.encode(integers: [1, -2], shape: [2])), .int64(shape: [2], values: [1, -2]))
        // The header is padded to a multiple of 64 bytes, as NumPy writes it.
        XCTAssertEqual(NumPyFile.encode(d).count - 3 * 4 * 2 * 8, 128)
    }

    func testMalformedFilesAreErrors() throws {
        let good = NumPyFile.encode(Tensor<Double>([1, 2, 3]))
        XCTAssertThrowsError(try NumPyFile.decode(good.prefix(good.count - 4), path: "cut.npy")) { error in
            let e = error as! NumPyFileError
            XCTAssertEqual(e.path, "cut.npy")
            XCTAssertTrue(e.reason.contains("truncated"), e.reason)
        }
        XCTAssertThrowsError(try NumPyFile.decode(good.prefix(30))) { XCTAssertTrue("\($0)".contains("truncated")) }
        XCTAssertThrowsError(try NumPyFile.decode(good + Data([0])))
        XCTAssertThrowsError(try NumPyFile.decode(Data("hello".utf8))) { XCTAssertTrue("\($0)".contains("magic")) }
        XCTAssertThrowsError(try NumPyFile.read(fixture("numpy_f8_fortran.npy"))) { XCTAssertTrue("\($0)".contains("Fortran")) }
        XCTAssertThrowsError(try NumPyFile.read(fixture("numpy_u1.npy"))) { XCTAssertTrue("\($0)".contains("dtype")) }
        XCTAssertThrowsError(try NumPyFile.read(URL(fileURLWithPath: "/nonexistent/file.npy"))) {
            XCTAssertTrue("\($0)".contains("/nonexistent/file.npy"))
        }
        var bigEndian = good
        let header = String(decoding: good[10..<(10 + 20)], as: UTF8.self)
        XCTAssertTrue(header.contains("<f8"))
        bigEndian[10 + Array(header.utf8).firstIndex(of: UInt8(ascii: "<"))!] = UInt8(ascii: ">")
        XCTAssertThrowsError(try NumPyFile.decode(bigEndian)) { XCTAssertTrue("\($0)".contains(">f8")) }
    }

    func testCSVParsing() throws {
        let text = "time,\"value, in kW\",note\r\n2024-01-01,1.5,\"said \"\"hi\"\"\"\n2024-01-02,,\"multi\nline\"\n2024-01-03,NaN,x\n2024-01-04,NA,y\n"
        let table = try CSVTable(text: text, source: "load.csv")
        XCTAssertEqual(table.header, ["time", "value, in kW", "note"])
        XCTAssertEqual(table.rowCount, 4)
        XCTAssertEqual(try table.textColumn(named: "note"), ["said \"hi\"", "multi\nline", "x", "y"])
        XCTAssertEqual(try table.numericColumn(named: "value, in kW"), [1.5, nil, nil, nil])
        XCTAssertEqual(table.lineNumbers, [2, 3, 5, 6])
    }

    func testMalformedCSVIsAnErrorNamingLineAndColumn() {
        XCTAssertThrowsError(try CSVTable(text: "a,b\n1,2\n3\n", source: "short.csv")) { error in
            XCTAssertEqual(error as? CSVError, CSVError(source: "short.csv", line: 3, column: nil, reason: "row has 1 fields but the header has 2"))
        }
        XCTAssertThrowsError(try CSVTable(text: "a,b\n1,\"2\n", source: "q.csv")) { error in
            XCTAssertEqual((error as? CSVError)?.line, 2)
            XCTAssertTrue("\(error)".contains("unterminated"))
        }
        XCTAssertThrowsError(try CSVTable(text: "", source: "empty.csv")) { XCTAssertTrue("\($0)".contains("empty")) }
        XCTAssertThrowsError(try CSVTable(text: "a,a\n1,2\n", source: "dup.csv")) { XCTAssertTrue("\($0)".contains("more than once")) }
        let table = try! CSVTable(text: "t,v\n1,2\n2,abc\n", source: "bad.csv")
        XCTAssertThrowsError(try table.numericColumn(named: "v")) { error in
            XCTAssertEqual("\(error)", "bad.csv:3: column 'v': 'abc' is not a decimal number")
        }
        XCTAssertThrowsError(try table.numericColumn(named: "w")) { XCTAssertTrue("\($0)".contains("no such column")) }
    }

    func testAtomicWriteReplacesWholeFile() throws {
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("atomic.txt")
        try AtomicFile.write("first version, long text", to: url)
        try AtomicFile.write("second", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "second")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [])
    }

    /// Output folders: created with their parents, reused when they exist, and a clear error
    /// naming the path when a file is in the way.
    func testOutputFolderCreationAndErrors() throws {
        let folder = try makeTemporaryFolder()
        let nested = folder.appendingPathComponent("a/b")
        try AtomicFile.createFolder(at: nested)
        try AtomicFile.createFolder(at: nested)
        var isFolder: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: nested.path, isDirectory: &isFolder) && isFolder.boolValue)
        let file = folder.appendingPathComponent("plain.txt")
        try AtomicFile.write("x", to: file)
        XCTAssertThrowsError(try AtomicFile.createFolder(at: file)) { error in
            XCTAssertEqual(error as? OutputFolderError, OutputFolderError(path: file.path, reason: "it exists and is not a folder"))
        }
        XCTAssertThrowsError(try AtomicFile.createFolder(at: file.appendingPathComponent("inside"))) { error in
            XCTAssertEqual("\(error)", "output folder '\(file.path)/inside': cannot create it ('\(file.path)' is a file)")
        }
        XCTAssertThrowsError(try AtomicFile.write("y", to: file.appendingPathComponent("inside.txt"))) { XCTAssertTrue($0 is OutputFolderError) }
        // `..` components are resolved (an ancestor walk over them once never ended).
        let dotted = URL(fileURLWithPath: file.path + "/../c")
        try AtomicFile.createFolder(at: dotted)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("c").path))
        XCTAssertThrowsError(try AtomicFile.createFolder(at: URL(fileURLWithPath: file.path + "/x/../y"))) { error in
            XCTAssertEqual("\(error)", "output folder '\(file.path)/y': cannot create it ('\(file.path)' is a file)")
        }
    }

    /// Every reader's line splitting: LF, CRLF and a lone CR end a line; empty lines are kept so
    /// that line numbers in errors are the file's.
    func testTextLines() {
        XCTAssertEqual(TextLines.split("a\r\nb\rc\n\nd"), ["a", "b", "c", "", "d"])
        XCTAssertEqual(TextLines.split("x\n"), ["x", ""])
        XCTAssertEqual(TextLines.split(""), [""])
        XCTAssertEqual(TextLines.split("\r\r\n"), ["", "", ""])
    }

    /// The progress line's durations.
    func testProgressDurations() {
        XCTAssertEqual(ProgressLine.duration(3725), "1h02m")
        XCTAssertEqual(ProgressLine.duration(185), "3m05s")
        XCTAssertEqual(ProgressLine.duration(12.34), "12.3s")
        XCTAssertEqual(ProgressLine.duration(.nan), "?")
        XCTAssertEqual(ProgressLine.duration(-1), "?")
    }
}

private extension Tensor {
    func transposedIfMatrix() -> Tensor { rank == 2 ? transposed() : self }
}
