import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseCore
@testable import DiffuseSequences

final class SequenceDataTests: XCTestCase {
    private func parse(_ text: String, policy: AmbiguousBasePolicy = .refuse) throws -> FASTAFile.Contents {
        try FASTAFile.parse(Data(text.utf8), file: "t.fa", ambiguousBases: policy)
    }

    private func assertError(_ text: String, line: Int?, column: Int?, contains phrase: String, policy: AmbiguousBasePolicy = .refuse,
                             file: StaticString = #filePath, lineNumber: UInt = #line) {
        XCTAssertThrowsError(try parse(text, policy: policy), file: file, line: lineNumber) { error in
            guard let e = error as? SequenceFileError else { return XCTFail("\(error)", file: file, line: lineNumber) }
            XCTAssertEqual(e.file, "t.fa", file: file, line: lineNumber)
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: lineNumber)
            XCTAssertEqual(e.column, column, "\(e)", file: file, line: lineNumber)
            XCTAssertTrue(e.reason.contains(phrase), "\(e)", file: file, line: lineNumber)
        }
    }

    func testFASTAReadsMultiLineRecordsAndWritesThemBack() throws {
        let contents = try parse(">one first record\nACGT\nacgtA\n\n>two\r\nGG CC\r\n")
        XCTAssertEqual(contents.records.map(\.name), ["one", "two"])
        XCTAssertEqual(contents.records[0].tokens, [0, 1, 2, 3, 0, 1, 2, 3, 0])
        XCTAssertEqual(contents.records[1].tokens, [2, 2, 1, 1])
        let long = FASTAFile.Record(name: "long", tokens: (0..<130).map { $0 % 4 })
        let text = try FASTAFile.text([long] + contents.records)
        XCTAssertThrowsError(try FASTAFile.text([FASTAFile.Record(name: "two words", tokens: [0])]))
        XCTAssertThrowsError(try FASTAFile.text([FASTAFile.Record(name: "empty", tokens: [])]))
        XCTAssertThrowsError(try FASTAFile.text([FASTAFile.Record(name: "masked", tokens: [0, 4])]))
        XCTAssertEqual(text.split(separator: "\n")[1].count, 60)
        XCTAssertEqual(try parse(text).records, [long] + contents.records)
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("out.fa")
        try FASTAFile.write(contents.records, to: url)
        XCTAssertEqual(try FASTAFile.read(url).records, contents.records)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["out.fa"])
        XCTAssertThrowsError(try FASTAFile.read(folder)) { XCTAssertTrue("\($0)".contains("it is a folder"), "\($0)") }
    }

    func testFASTARejectsMalformedInputWithNamedErrors() {
        assertError("ACGT\n>a\nAC\n", line: 1, column: 1, contains: "before the first")
        assertError(">a\n\n>b\nAC\n", line: 1, column: nil, contains: "no sequence")
        assertError(">a\nACGX\n", line: 2, column: 4, contains: "'X' is not a DNA base")
        assertError(">a\nAC\u{0}G\n", line: 2, column: 3, contains: "byte 0x0")
        assertError(">a\nACNG\n", line: 2, column: 3, contains: "ambiguous base 'N'")
        assertError(">\nAC\n", line: 1, column: 2, contains: "empty header")
        assertError("", line: nil, column: nil, contains: "no FASTA records")
        assertError(">a\u{1}b\nAC\n", line: 1, column: 3, contains: "control byte")
        // Skipping records with ambiguity codes counts them.
        let skipped = try? parse(">a\nACNG\n>b\nAC\n", policy: .skipRecord)
        XCTAssertEqual(skipped?.records.map(\.name), ["b"])
        XCTAssertEqual(skipped?.skippedRecords, 1)
        XCTAssertThrowsError(try FASTAFile.read(URL(fileURLWithPath: "/nonexistent/x.fa"))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x.fa: cannot be read (no such file)"), "\(error)")
        }
    }

    static let jaspar = """
    >MA0108.3\tTBP\tvertebrates
    A  [ 10  0 30  0 ]
    C  [  5  0  0  2 ]
    G  [  5  0  0  2 ]
    T  [ 10 30  0 26 ]

    >MA0001.1\tX
    A 1 2
    C 1 0
    G 1 0
    T 1 2
    """

    func testJASPARReaderAndLogOddsScores() throws {
        let matrices = try JASPARFile.parse(Self.jaspar, file: "m.jaspar")
        XCTAssertEqual(matrices.map(\.identifier), ["MA0108.3", "MA0001.1"])
        XCTAssertEqual(matrices[0].name, "TBP")
        XCTAssertEqual(matrices[0].counts[3], [10, 30, 0, 26])
        // Hand-computed: column 0 has 30 counts; with ψ = 0.8 and q = ¼, p(A) = (10 + 0.2)/30.8.
        let pwm = PositionWeightMatrix(matrices[0], pseudocount: 0.8)
        XCTAssertEqual(pwm.weights[0][0], Foundation.log2((10 + 0.2) / 30.8 / 0.25), accuracy: 1e-12)
        XCTAssertEqual(pwm.weights[3][1], Foundation.log2((30 + 0.2) / 30.8 / 0.25), accuracy: 1e-12)
        // TTAT (3 3 0 3): T at 0, T at 1, A at 2, T at 3; its reverse complement ATAA differs.
        let site = [3, 3, 0, 3]
        let expected = pwm.weights[3][0] + pwm.weights[3][1] + pwm.weights[0][2] + pwm.weights[3][3]
        XCTAssertEqual(pwm.score(site, at: 0), expected, accuracy: 1e-12)
        // Both strands: the site lies only on the minus strand of this sequence.
        let minus = DNAVocabulary.reverseComplement([1, 1] + site + [2])
        XCTAssertLessThan((0...(minus.count - 4)).map { pwm.score(minus, at: $0) }.max()!, expected - 1)
        XCTAssertEqual(pwm.bestScore(minus), expected, accuracy: 1e-12)
        let windows = pwm.windowScores(minus)
        XCTAssertEqual(windows.count, 2 * (minus.count - 3))
        XCTAssertEqual(pwm.summedScore(minus), Foundation.log2(windows.reduce(0) { $0 + Foundation.exp2($1) }), accuracy: 1e-12)
        XCTAssertEqual(pwm.bestScore([0, 1]), -.infinity)
        XCTAssertEqual(gcContent([0, 1, 2, 2, 3]), 0.6)
    }

    func testJASPARRejectsMalformedMatrices() {
        func assertError(_ text: String, line: Int?, contains phrase: String, file: StaticString = #filePath, lineNumber: UInt = #line) {
            XCTAssertThrowsError(try JASPARFile.parse(text, file: "m.jaspar"), file: file, line: lineNumber) { error in
                guard let e = error as? SequenceFileError else { return XCTFail("\(error)", file: file, line: lineNumber) }
                XCTAssertEqual(e.line, line, "\(e)", file: file, line: lineNumber)
                XCTAssertTrue(e.reason.contains(phrase), "\(e)", file: file, line: lineNumber)
            }
        }
        assertError(">M\tx\nA [1 2]\nC [1 2]\nG [1 2]\n", line: 1, contains: "3 rows")
        assertError(">M\tx\nA [1 2]\nG [1 2]\n", line: 3, contains: "expected the C row")
        assertError(">M\tx\nA [1 2]\nC [1]\n", line: 3, contains: "1 counts, the A row 2")
        assertError(">M\tx\nA [1 -2]\n", line: 2, contains: "'-2' is not a non-negative count")
        assertError(">M\tx\nA [1 nan]\n", line: 2, contains: "'nan'")
        assertError(">M\tx\nA [1 0x10]\n", line: 2, contains: "'0x10'")
        assertError("A [1 2]\n", line: 1, contains: "before the first")
        assertError("\n\n", line: nil, contains: "no matrices")
        assertError(">M\tx\nA [1 2]\nC [1 2]\nG [1 2]\nT [1 2]\nT [1 2]\n", line: 6, contains: "more than four rows")
        assertError(">M\tx\nA [1 0]\nC [1 0]\nG [1 0]\nT [1 0]\n", line: 1, contains: "column 2 has a total count of 0")
        // Windows line ends and a space-separated header read like the original.
        let crlf = try? JASPARFile.parse(Self.jaspar.replacingOccurrences(of: "\n", with: "\r\n"), file: "m.jaspar")
        XCTAssertEqual(crlf, try? JASPARFile.parse(Self.jaspar, file: "m.jaspar"))
        XCTAssertEqual(try? JASPARFile.parse(">MA0004.1 Arnt\nA 1\nC 1\nG 1\nT 1\n", file: "m").first?.identifier, "MA0004.1")
    }

    /// The Markov model's likelihood against hand-computed counts, and its normalisation.
    func testKmerMarkovModelAgainstHandCounts() {
        let data = [[0, 0, 1, 0, 0, 1]]
        let order1 = KmerMarkovModel(order: 1, fittedOn: data, smoothing: 1)
        // Order 0 (first base): counts A 4+1, C 2+1, G 1, T 1 of 10 → p(A) = 5/10.
        // Order 1 after A: transitions A→A 2, A→C 2 (+1 each) of 8 → p(C | A) = 3/8; after C: C→A 1 (+1) of 5 → 2/5.
        let expected = Foundation.log2(5.0 / 10) + Foundation.log2(3.0 / 8) + Foundation.log2(2.0 / 5)
        XCTAssertEqual(order1.logLikelihood([0, 1, 0]), expected, accuracy: 1e-12)
        // Probabilities of every next base sum to one for every context.
        let order3 = KmerMarkovModel(order: 3, fittedOn: [[0, 1, 2, 3, 3, 2, 1, 0, 0, 2]], smoothing: 0.5)
        for context in 0..<64 {
            let prefix = [context / 16, (context / 4) % 4, context % 4]
            let total = (0..<4).reduce(0.0) { $0 + Foundation.exp2(order3.logLikelihood(prefix + [$1]) - order3.logLikelihood(prefix)) }
            XCTAssertEqual(total, 1, accuracy: 1e-12)
        }
        XCTAssertEqual(order1.bitsPerBase([[0, 1, 0]]), -expected / 3, accuracy: 1e-12)
    }
}
