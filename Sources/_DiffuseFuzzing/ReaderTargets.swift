import DiffuseNN
import DiffuseSequences
import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// Every reader of the package as a ``FuzzTarget``: seeds written by the library, and an oracle
/// for accepted inputs that re-derives the values from the bytes by other means than the reader.
extension FuzzTarget {
    /// The targets, in a fixed order (``named(_:)`` finds one).
    public static let all: [FuzzTarget] = [
        numPy, safeTensors, csv, timeSeriesWide, timeSeriesCovariates, timeSeriesUntimed, timeSeriesLong, holidayCalendar, staticAttributes, forecastBenchmark, tsdiffCheckpoint,
        conditionalTSDiffCheckpoint, sequenceCheckpoint, fasta, jaspar, smiles, molecule,
        bvh, humanML3DFeatures, humanML3DCaptions,
    ]

    public static func named(_ name: String) -> FuzzTarget? { (all + [supervisorCheck]).first { $0.name == name } }

    /// A folder for the readers that take files, private to this process; ``removeScratch()`` deletes it.
    static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Deletes this process's scratch folder.
    public static func removeScratch() { try? FileManager.default.removeItem(at: scratch) }

    /// The scratch folder of a process that ended (a crashed child), for its parent to delete.
    public static func scratchFolder(ofProcess pid: Int32) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-fuzz-\(pid)")
    }

    static func write(_ data: Data, _ name: String) -> URL {
        let url = scratch.appendingPathComponent(name)
        try? data.write(to: url)
        return url
    }

    // MARK: NumPy

    static let numPy = FuzzTarget(
        name: "numpy",
        seeds: [
            NumPyFile.encode(Tensor<Double>(rows: [[1, -2.5, 3], [4, 5e-300, 6]])),
            NumPyFile.encode(Tensor<Float>([0.5, -1, 1e30, 7])),
            NumPyFile.encode(Tensor<Double>(2.5)),
            NumPyFile.encode(integers: [7, -1, 1 << 40], shape: [3]),
            NumPyFile.encode(Tensor<Float>(zeros: [0, 3])),
        ], read: { data in try NumPyFile.decode(data, path: "fuzz.npy") }) { data, array in
            // Independently: the header's length field, its text without spaces, the payload.
            let bytes = [UInt8](data)
            let long = bytes[6] >= 2
            let length = Int(bytes[8]) | Int(bytes[9]) << 8 | (long ? Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : 0)
            let start = (long ? 12 : 10) + length
            let header = String(decoding: bytes[(long ? 12 : 10)..<start], as: UTF8.self).filter { !$0.isWhitespace }.replacingOccurrences(of: "\"", with: "'")
            let dims = array.shape.map(String.init)
            let forms = dims.count == 1 ? ["(\(dims[0]),)", "(\(dims[0]))"] : ["(" + dims.joined(separator: ",") + ")", "(" + dims.joined(separator: ",") + ",)"]
            guard forms.contains(where: { header.contains("'shape':" + $0) }) else { return "shape \(array.shape) is not the header's: \(header)" }
            guard header.contains("'fortran_order':False") else { return "a Fortran-order array was read as C order: \(header)" }
            let payload = Array(bytes[start...])
            var expected: [UInt8] = []
            let code: String
            switch array {
            case .float32(let t): code = "f4"; for v in t.scalars { withUnsafeBytes(of: v.bitPattern.littleEndian) { expected += $0 } }
            case .float64(let t): code = "f8"; for v in t.scalars { withUnsafeBytes(of: v.bitPattern.littleEndian) { expected += $0 } }
            case .int32(_, let v): code = "i4"; for x in v { withUnsafeBytes(of: x.littleEndian) { expected += $0 } }
            case .int64(_, let v): code = "i8"; for x in v { withUnsafeBytes(of: x.littleEndian) { expected += $0 } }
            }
            guard ["<", "|", "="].contains(where: { header.contains("'descr':'\($0)\(code)'") }) else { return "type \(code) is not the header's: \(header)" }
            guard Double(payload.count) == Double(array.shape.reduce(1, *)) * Double(code.last == "4" ? 4 : 8) else { return "payload of \(payload.count) bytes for shape \(array.shape)" }
            return payload == expected ? nil : "values differ from the payload bytes"
        }

    // MARK: safetensors

    static let safeTensors: FuzzTarget = {
        var p = ParameterSet<Float>()
        p.insert(Tensor(rows: [[1, 2, 3], [-4, 5.5, 1e-3]]), named: "layer.weight")
        p.insert(Tensor([0.25, -0.5]), named: "layer.bias")
        p.insert(Tensor(7), named: "scale")
        var q = ParameterSet<Double>()
        q.insert(Tensor([1e200, -3]), named: "w")
        return FuzzTarget(name: "safetensors", seeds: [SafeTensors.encode(p, metadata: ["format": "pt"]), SafeTensors.encode(q)],
                          read: { data in try SafeTensors.decode(data, path: "fuzz.safetensors", as: Double.self).parameters }) { data, parameters in
            let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any] else { return "header not re-readable" }
            let bytes = [UInt8](data)
            guard parameters.count == header.keys.filter({ $0 != "__metadata__" }).count else {
                return "\(parameters.count) tensors read, the header lists \(header.keys.filter { $0 != "__metadata__" }.count)"
            }
            for (name, tensor) in parameters.entries {
                guard let entry = header[name] as? [String: Any], let dtype = entry["dtype"] as? String,
                      let offsets = entry["data_offsets"] as? [Int], let shape = entry["shape"] as? [Int] else { return "entry '\(name)' not in the header" }
                guard shape == tensor.shape else { return "'\(name)': shape \(tensor.shape), header \(shape)" }
                let base = 8 + headerLength + offsets[0]
                guard let size = ["F64": 8, "F32": 4, "F16": 2, "BF16": 2][dtype] else { return "'\(name)' read with dtype \(dtype)" }
                for (i, v) in tensor.scalars.enumerated() {
                    let at = base + size * i
                    let raw = bytes[at..<(at + size)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    let expected: Double
                    switch dtype {
                    case "F64": expected = Double(bitPattern: raw)
                    case "F32": expected = Double(Float(bitPattern: UInt32(raw)))
                    case "BF16": expected = Double(Float(bitPattern: UInt32(raw) << 16))
                    default: expected = Double(Float(Float16Bits(UInt16(raw))))
                    }
                    guard v.bitPattern == expected.bitPattern || (v.isNaN && expected.isNaN) else { return "'\(name)'[\(i)] = \(v), bytes say \(expected)" }
                }
            }
            return nil
        }
    }()

    /// IEEE half precision decoded by arithmetic (not by the reader's bit manipulation).
    static func Float16Bits(_ h: UInt16) -> Double {
        let sign: Double = h >> 15 == 1 ? -1 : 1
        let exponent = Int(h >> 10 & 0x1F), mantissa = Double(h & 0x3FF)
        if exponent == 0 { return sign * mantissa * pow(2, -24) }
        if exponent == 31 { return mantissa == 0 ? sign * .infinity : .nan }
        return sign * (1 + mantissa / 1024) * pow(2, Double(exponent - 15))
    }

    // MARK: CSV

    static let csvSeeds: [Data] = {
        let times = (0..<6).map { Timestamp.format(1_700_000_000 + 3600 * Int64($0)) }
        let wide = "time,load,price\n" + times.enumerated().map { "\($1),\(Double($0) * 1.5 - 2),\($0 == 2 ? "" : "\(1e3 / Double($0 + 1))")" }.joined(separator: "\n") + "\n"
        let quoted = "\"t\",\"x, y\"\n1700000000,\"1.5\"\n1700001800,NaN\n1700003600,-3e2\n"
        // Month-end data across a leap February (calendar months).
        let monthly = "month,sales\n2023-12-31,4\n2024-01-31,5\n2024-02-29,\n2024-03-31,7.5\n2024-04-30,6\n"
        return [Data(wide.utf8), Data(quoted.utf8), Data(monthly.utf8)]
    }()

    /// Whether a cell's text is a decimal number with this value, by `strtod` on text that holds
    /// only decimal characters (the reader uses its own grammar).
    static func decimalCellHolds(_ text: String, _ value: Double) -> Bool {
        let cell = text.trimmingCharacters(in: .whitespaces)
        guard !cell.isEmpty, cell.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }) else { return false }
        return cell.withCString { p -> Bool in
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(p, &end)
            return end.map { $0 - UnsafeMutablePointer(mutating: p) } == cell.utf8.count && v == value
        }
    }

    /// The records of CSV bytes by a splitter of its own (RFC 4180: quoted fields with doubled
    /// quotes, LF, CRLF or CR line ends, a leading byte-order mark dropped, empty lines skipped
    /// except in a one-column file); nil for text the reader must refuse (an unterminated quote).
    static func splitCSV(_ data: Data) -> [[String]]? {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var records: [[String]] = [], record: [String] = [], field: [UInt8] = []
        var i = 0, quoted = false, fieldStarted = false, lineHasContent = false
        func endField() { record.append(String(decoding: field, as: UTF8.self)); field = []; fieldStarted = false }
        func endRecord() {
            // An empty line (nothing at all on it, not even "") is skipped, except in a one-column file.
            if !lineHasContent && !(records.first?.count == 1) { record = []; return }
            records.append(record); record = []; lineHasContent = false
        }
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 2; continue }
                    quoted = false
                } else { field.append(b) }
                i += 1
                continue
            }
            if b != UInt8(ascii: "\n") && b != UInt8(ascii: "\r") { lineHasContent = true }
            switch b {
            case UInt8(ascii: "\""): quoted = true; fieldStarted = true
            case UInt8(ascii: ","): endField()
            case UInt8(ascii: "\n"): endField(); endRecord()
            case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"): break
            case UInt8(ascii: "\r"): endField(); endRecord()        // a lone CR ends a line too (old Mac files)
            default: field.append(b); fieldStarted = true
            }
            i += 1
        }
        if quoted { return nil }
        if fieldStarted || !field.isEmpty || !record.isEmpty { endField(); endRecord() }
        return records
    }

    static let csv = FuzzTarget(name: "csv", seeds: csvSeeds, read: { data in try CSVTable(data: data, source: "fuzz.csv") }) { data, table in
        // The cells, split independently (the reader trims the header's names).
        guard let records = splitCSV(data) else { return "accepted a file with an unterminated quote" }
        guard records.count == table.rowCount + 1, records.first?.map({ $0.trimmingCharacters(in: .whitespaces) }) == table.header, Array(records.dropFirst()) == table.rows else {
            return "cells \(([table.header] + table.rows).prefix(3)) differ from the file's \(records.prefix(3))"
        }
        // Every cell written back quoted and read again is the same cell.
        let quote: (String) -> String = { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let text = ([table.header] + table.rows).map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
        let again = try CSVTable(text: text, source: "again.csv")
        guard again.rows == table.rows else { return "cells change when written back" }
        for row in table.rows {
            for cell in row where cell.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" || $0.value == 0x7F }) {
                return "control byte kept in cell '\(cell)'"
            }
        }
        for name in table.header {
            guard let values = try? table.numericColumn(named: name) else { continue }
            for (r, v) in values.enumerated() {
                let cell = table.rows[r][table.header.firstIndex(of: name)!]
                if let v {
                    guard decimalCellHolds(cell, v) else { return "line \(table.lineNumbers[r]): '\(cell)' read as \(v)" }
                } else {
                    guard CSVTable.missingMarkers.contains(cell.trimmingCharacters(in: .whitespaces).lowercased()) else { return "'\(cell)' read as missing" }
                }
            }
        }
        return nil
    }

    // MARK: Time series

    /// The timestamp a cell states, by a second reading: a date's `YYYY-MM-DD hh:mm` (seconds
    /// must then match too) or an integer.
    static func timestampHolds(_ text: String, _ t: Int64, frequency: Frequency, stepIndices: Bool) -> Bool {
        let cell = text.trimmingCharacters(in: .whitespaces)
        if let n = Int64(cell) { return stepIndices ? (frequency.isCalendarMonths ? frequency.timestamp(from: 0, steps: Int(n)) == t : n.multipliedReportingOverflow(by: Int64(frequency.seconds)) == (t, false)) : n == t }
        var date = cell.replacingOccurrences(of: "T", with: " ")
        if date.hasSuffix("Z") { date.removeLast() }
        if date.count == 10 { date += " 00:00" }
        guard date.count >= 16, Timestamp.format(t) == String(date.prefix(16)) else { return false }
        let seconds = date.count >= 19 ? Int(date.dropFirst(17).prefix(2)) ?? -1 : 0
        return Int64(seconds) == (t % 60 + 60) % 60
    }

    static let timeSeriesWide = FuzzTarget(name: "time-series-wide", seeds: csvSeeds,
                                           read: { data in try TimeSeriesDataset.loadWide(write(data, "wide.csv")) }) { data, dataset in
        let table = try CSVTable(data: data, source: "again.csv")
        let column = table.rows.map { $0[0].trimmingCharacters(in: .whitespaces) }
        let integers = column.compactMap { Int64($0) }
        let stepIndices = integers.count == column.count && column.count >= 2 && zip(integers.dropFirst(), integers).allSatisfy { $0 == $1 + 1 }
        for series in dataset.series {
            guard series.count == table.rowCount, let k = table.header.firstIndex(of: series.name) else { return "series '\(series.name)' has \(series.count) values for \(table.rowCount) rows" }
            for r in 0..<series.count {
                guard timestampHolds(table.rows[r][0], series.timestamp(at: r), frequency: series.frequency, stepIndices: stepIndices) else {
                    return "line \(table.lineNumbers[r]): '\(table.rows[r][0])' read as \(Timestamp.format(series.timestamp(at: r)))"
                }
                if let wrong = cellMismatch(table, row: r, column: k, value: series.values[r], observed: series.observed[r]) { return wrong }
            }
        }
        return nil
    }

    /// Why a numeric cell of `table` does not hold what a reader made of it (a value, or a
    /// missing value), or nil when it does.
    static func cellMismatch(_ table: CSVTable, row r: Int, column k: Int, value: Double, observed: Bool) -> String? {
        let cell = table.rows[r][k]
        if observed {
            return decimalCellHolds(cell, value) ? nil : "line \(table.lineNumbers[r]), column \(k + 1): '\(cell)' read as \(value)"
        }
        return CSVTable.missingMarkers.contains(cell.trimmingCharacters(in: .whitespaces).lowercased()) ? nil : "line \(table.lineNumbers[r]): '\(cell)' read as missing"
    }

    /// A wide CSV whose last column (of three or more) is a covariate of every series; the oracle
    /// compares each series' covariate with that column's cells.
    static let timeSeriesCovariates = FuzzTarget(name: "time-series-covariates", seeds: csvSeeds + [Data("time,y,temp\n2024-01-01,1,\n2024-01-02,2,-3.5\n".utf8)],
                                                 read: { data -> TimeSeriesDataset in
        let header = try CSVTable(data: data, source: "header.csv").header
        return try TimeSeriesDataset.loadWide(write(data, "covariates.csv"), covariates: header.count >= 3 ? [header.last!] : [])
    }) { data, dataset in
        let table = try CSVTable(data: data, source: "again.csv")
        guard table.header.count >= 3, let name = table.header.last else { return dataset.series.contains { !$0.covariates.isEmpty } ? "a covariate from \(table.header.count) columns" : nil }
        let k = table.header.count - 1
        for series in dataset.series {
            guard series.name != name else { return "the covariate column '\(name)' was read as a series" }
            guard series.covariates.count == 1, let covariate = series.covariates.first, covariate.name == name, covariate.values.count == table.rowCount else {
                return "series '\(series.name)' has covariates \(series.covariates.map(\.name))"
            }
            for r in 0..<table.rowCount {
                if let wrong = cellMismatch(table, row: r, column: k, value: covariate.values[r], observed: covariate.observed[r]) { return "covariate: " + wrong }
            }
        }
        return nil
    }

    /// A wide CSV without timestamps (`--no-timestamps`): every column a series, rows as steps.
    static let timeSeriesUntimed = FuzzTarget(name: "time-series-untimed", seeds: [Data("a,b\n1,2\n3,\n-4.5,6e2\n".utf8), Data("x\n1\n2\nNaN\n".utf8)],
                                             read: { data in try TimeSeriesDataset.loadWide(untimed: write(data, "untimed.csv"), frequency: .minutes(30)) }) { data, dataset in
        let table = try CSVTable(data: data, source: "again.csv")
        for series in dataset.series {
            guard let k = table.header.firstIndex(of: series.name), series.count == table.rowCount else { return "series '\(series.name)' is not a column of \(table.rowCount) rows" }
            for r in 0..<series.count {
                guard series.timestamp(at: r) == Int64(1800 * r) else { return "row \(r) at \(series.timestamp(at: r))" }
                if let wrong = cellMismatch(table, row: r, column: k, value: series.values[r], observed: series.observed[r]) { return wrong }
            }
        }
        return nil
    }

    /// The holiday calendar; the oracle dates every accepted line again by counting days from
    /// 0001-01-01 (365 a year plus the leap days before it) instead of Hinnant's eras.
    static let holidayCalendar = FuzzTarget(name: "holiday-calendar", seeds: [Data("# holidays\n2024-01-01,New Year\n2024-02-29\r\n\n1969-12-31, eve\n".utf8), Data("0001-01-01\n9999-12-31\n".utf8)],
                                            read: { data in try HolidayCalendar(text: String(decoding: data, as: UTF8.self), source: "fuzz.txt") }) { data, calendar in
        func leap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }
        func ordinal(_ y: Int, _ m: Int, _ d: Int) -> Int {
            let before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][m - 1] + (m > 2 && leap(y) ? 1 : 0)
            return 365 * (y - 1) + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400 + before + d - 1
        }
        var expected = Set<Int64>()
        for line in String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            let fields = text.prefix(10).split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard fields.count == 3, let y = fields[0], let m = fields[1], let d = fields[2], (1...9999).contains(y), (1...12).contains(m),
                  d >= 1, d <= [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] else { return "accepted '\(text.prefix(20))'" }
            expected.insert(Int64(ordinal(y, m, d) - ordinal(1970, 1, 1)))
        }
        guard expected == calendar.days else { return "days \(calendar.days.sorted().prefix(4)) against \(expected.sorted().prefix(4))" }
        for day in calendar.days where !calendar.contains(day * 86_400 + 43_200) { return "day \(day) not contained at noon" }
        return nil
    }

    /// A static-attribute file, attached to one series per row and fitted into a conditioning,
    /// whose channels are then computed for every series.
    static let staticAttributes = FuzzTarget(name: "static-attributes",
                                             seeds: [Data("series,region,capacity\na,north,1.5\nb,south,\n\"c, d\",NA,-2e3\n".utf8), Data("id,kind\nx,1\ny,2\n".utf8)],
                                             read: { data -> (StaticAttributes, SeriesConditioning) in
        let attributes = try StaticAttributes(table: CSVTable(data: data, source: "static.csv"))
        let series = try attributes.attached(to: attributes.values.keys.sorted().map { TimeSeries(name: $0, frequency: .daily, values: [1, 2]) })
        let conditioning = try SeriesConditioning.fitted(covariates: [], attributes: attributes.names, series: series)
        try conditioning.validate()
        return (attributes, conditioning)
    }) { data, read in
        let (attributes, conditioning) = read
        let table = try CSVTable(data: data, source: "again.csv")
        guard attributes.names == Array(table.header.dropFirst()) else { return "names \(attributes.names) from header \(table.header)" }
        guard attributes.values.count == table.rowCount else { return "\(attributes.values.count) series from \(table.rowCount) rows" }
        for row in table.rows {
            let name = row[0].trimmingCharacters(in: .whitespaces)
            guard let cells = attributes.values[name] else { return "no series '\(name.prefix(20))'" }
            for (k, attribute) in attributes.names.enumerated() where cells[attribute] != row[k + 1].trimmingCharacters(in: .whitespaces) {
                return "series '\(name.prefix(20))', attribute '\(attribute.prefix(20))': '\(cells[attribute] ?? "nil")' from '\(row[k + 1].prefix(20))'"
            }
        }
        for name in attributes.values.keys {
            var series = TimeSeries(name: name, frequency: .daily, values: [1, 2])
            series.attributes = attributes.values[name]!
            try conditioning.check(series)
            let rows = conditioning.rows(series, from: 0, count: 2, forecastStart: 2)
            guard rows.count == 2 * conditioning.channels, rows.allSatisfy(\.isFinite), rows[..<conditioning.channels] == rows[conditioning.channels...] else {
                return "channels \(rows.prefix(8)) of series '\(name.prefix(20))'"
            }
        }
        return nil
    }

    static let forecastBenchmark = FuzzTarget(
        name: "forecast-benchmark",
        seeds: [Data(#"{"datasets": [{"name": "a-1", "file": "d/a.csv", "targets": ["y", "z"], "covariates": ["t"], "windows": 3}], "windows": 7}"#.utf8),
                Data(#"{"datasets": [{"name": "b", "file": "b.csv", "targets": ["v"], "covariates": []}], "windows": 1000}"#.utf8),
                Data(#"{"datasets": [{"name": "c", "file": "c.csv", "targets": ["v"], "covariates": ["h", "t"], "knownFuture": ["h"], "holidays": "hol/us.csv"}], "windows": 2}"#.utf8)],
        read: { data in try ForecastBenchmark.decode(data, source: "fuzz.json") }) { data, manifest in
        // Independently: the JSON's dataset names (where JSONSerialization reads the file: it
        // refuses numbers beyond Double in fields the manifest ignores), and the rules an
        // accepted manifest keeps.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            guard let list = object["datasets"] as? [[String: Any]] else { return "accepted a file whose 'datasets' is not a list of objects" }
            guard list.compactMap({ $0["name"] as? String }) == manifest.datasets.map(\.name) else { return "names differ from the JSON's" }
        }
        guard Set(manifest.datasets.map(\.name)).count == manifest.datasets.count else { return "repeated name accepted" }
        for d in manifest.datasets {
            if d.file.hasPrefix("/") || d.file.split(separator: "/").contains("..") || d.targets.isEmpty { return "accepted dataset \(d.name)" }
            if let h = d.holidays, h.isEmpty || h.hasPrefix("/") || h.split(separator: "/").contains("..") { return "accepted holidays path '\(h)' of \(d.name)" }
            if let known = d.knownFuture, !known.allSatisfy(d.covariates.contains) { return "accepted known-future \(known) beside covariates \(d.covariates)" }
            if !(1...ForecastBenchmark.maximumWindows).contains(manifest.windows(of: d)) { return "accepted windows \(manifest.windows(of: d))" }
        }
        return nil
    }

    static let timeSeriesLong: FuzzTarget = {
        let rows = (0..<5).flatMap { i in ["a", "b"].map { "\($0),\(Timestamp.format(86_400 * Int64(19_000 + i))),\(Double(i) - 0.5)" } }
        let seeds = [Data(("id,date,value\n" + rows.joined(separator: "\n") + "\n").utf8), Data("id,date,value\ns,0,1\ns,1,2\ns,2,\n".utf8)]
        return FuzzTarget(name: "time-series-long", seeds: seeds, read: { data in
            try TimeSeriesDataset.loadLong(write(data, "long.csv"), idColumn: "id", timestampColumn: "date", valueColumn: "value", frequency: .daily)
        }) { data, dataset in
            let table = try CSVTable(data: data, source: "again.csv")
            let (ids, dates, values) = (try table.textColumn(named: "id"), try table.textColumn(named: "date"), try table.textColumn(named: "value"))
            // Step indices: every date an integer and each id's run consecutive (one rule for the file).
            let groups = Dictionary(grouping: ids.indices, by: { ids[$0] }).values.map { $0.map { Int64(dates[$0].trimmingCharacters(in: .whitespaces)) } }
            let stepIndices = groups.allSatisfy { $0.allSatisfy { $0 != nil } } && groups.contains { $0.count >= 2 }
                && groups.allSatisfy { g in zip(g.dropFirst(), g).allSatisfy { $0! == $1! + 1 } }
            for series in dataset.series {
                let rows = ids.indices.filter { ids[$0] == series.name }
                guard rows.count == series.count else { return "series '\(series.name)': \(series.count) values for \(rows.count) rows" }
                for (i, r) in rows.enumerated() {
                    guard timestampHolds(dates[r], series.timestamp(at: i), frequency: series.frequency, stepIndices: stepIndices) else { return "'\(dates[r])' read as \(Timestamp.format(series.timestamp(at: i)))" }
                    if series.observed[i] {
                        guard decimalCellHolds(values[r], series.values[i]) else { return "'\(values[r])' read as \(series.values[i])" }
                    } else if !CSVTable.missingMarkers.contains(values[r].trimmingCharacters(in: .whitespaces).lowercased()) {
                        return "'\(values[r])' read as missing"
                    }
                }
            }
            return nil
        }
    }()

    // MARK: Checkpoints

    /// A checkpoint folder written by `save`, whose config.json the input replaces; `load` reads
    /// the folder and returns the loaded configuration; the oracle compares it with the file's
    /// configuration decoded on its own.
    static func checkpointTarget<C: Codable & Equatable>(name: String, save: (URL) throws -> Void, load: @escaping @Sendable (URL) throws -> C) -> FuzzTarget {
        let seedFolder = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-fuzz-seed-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try? save(seedFolder)
        let config = (try? Data(contentsOf: seedFolder.appendingPathComponent("config.json"))) ?? Data("{}".utf8)
        // The weights without the configuration they were saved with, so that a mutated
        // config.json reaches the configuration checks instead of the pair check.
        let saved = try? SafeTensors.read(seedFolder.appendingPathComponent("model.safetensors"), as: Float.self)
        let weights = saved.map { SafeTensors.encode($0.parameters) } ?? Data()
        try? FileManager.default.removeItem(at: seedFolder)
        precondition(!weights.isEmpty, "fuzz target '\(name)': the seed checkpoint could not be written")
        return FuzzTarget(name: name, seeds: [config], read: { data in
            let folder = scratch.appendingPathComponent(name)
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) {
                try weights.write(to: folder.appendingPathComponent("model.safetensors"))
            }
            try data.write(to: folder.appendingPathComponent("config.json"))
            return try load(folder)
        }) { data, loaded in
            try loaded == JSONDecoder().decode(C.self, from: data) ? nil : "loaded configuration differs from the file's"
        }
    }

    /// A small TSDiff model (weights checked finite by the loader).
    static let tsdiffCheckpoint: FuzzTarget = {
        let layout = WindowLayout(contextLength: 8, predictionLength: 4, lags: [1, 24])
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, hidden: 4, blocks: 1, stepEmbedding: 4, stateSize: 4),
                                                diffusionSteps: 10, frequency: .hourly)
        return checkpointTarget(name: "tsdiff-checkpoint", save: TSDiff(configuration: configuration, seed: 1).save(to:)) { try TSDiff.load(from: $0).configuration }
    }()

    /// A small conditional TSDiff model: calendar features, holidays and covariates in its
    /// config.json.
    static let conditionalTSDiffCheckpoint: FuzzTarget = {
        let conditioning = SeriesConditioning(calendar: [.hourOfDay, .dayOfWeek], holidays: HolidayCalendar(days: [19_000, 19_358]),
                                              covariates: [.init(name: "temp", knownFuture: true, mean: 12.5, standardDeviation: 4), .init(name: "price", knownFuture: false)],
                                              attributes: [.init(name: "region", encoding: .categorical(categories: ["north", "south"])),
                                                           .init(name: "capacity", encoding: .numeric(mean: 30, standardDeviation: 7.5))])
        let layout = WindowLayout(contextLength: 8, predictionLength: 4, lags: [24], conditioning: conditioning)
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, conditioningChannels: conditioning.channels,
                                                                                                      hidden: 4, blocks: 1, stepEmbedding: 4, stateSize: 4),
                                                diffusionSteps: 10, frequency: .hourly)
        return checkpointTarget(name: "tsdiff-conditional-checkpoint", save: TSDiff(configuration: configuration, seed: 1).save(to:)) { try TSDiff.load(from: $0).configuration }
    }()

    /// A small sequence model.
    static let sequenceCheckpoint: FuzzTarget = {
        let network = DilatedConvolutionNetwork(hidden: 4, kernelSize: 3, dilations: [1, 2], stacks: 1)
        let model = SequenceModel(configuration: .init(network: .convolution(network), length: 8, training: SequenceTrainingConfiguration()),
                                  parameters: network.makeParameters(as: Float.self, key: RandomKey(seed: 5)))
        return checkpointTarget(name: "sequence-checkpoint", save: model.save(to:)) { try SequenceModel.load(from: $0).configuration }
    }()

    // MARK: Sequences and molecules

    static let fasta: FuzzTarget = {
        let records = [FASTAFile.Record(name: "chr2L:100-140 promoter", tokens: (0..<40).map { $0 * 7 % 4 }), FASTAFile.Record(name: "b", tokens: [3, 2, 1, 0])]
        let text = (try? FASTAFile.text(records)) ?? ">a\nACGT\n"
        return FuzzTarget(name: "fasta", seeds: [Data(text.utf8), Data(">x\nac\ngt\n>y\nTTTT\n".utf8)],
                          read: { data in try FASTAFile.parse(data, file: "fuzz.fa", ambiguousBases: .skipRecord) }) { data, contents in
            // Independently, from the text: records start at '>' lines (name: the first word);
            // sequence lines lose spaces, tabs and a final CR, are upper-cased, and a record with
            // a letter other than A, C, G, T is skipped (the reader's skipRecord policy).
            let letters = Array("ACGT")
            var expected: [(String, String)] = []
            var current: (name: String, sequence: String)? = nil
            func close() { if let c = current, c.sequence.allSatisfy({ letters.contains($0) }) { expected.append((c.name, c.sequence)) } }
            for rawBytes in [UInt8](data).split(separator: 0x0A, omittingEmptySubsequences: false) {
                let bytes = rawBytes.last == 0x0D ? rawBytes.dropLast() : rawBytes
                // Bytes, not characters: a combining mark after '>' must not merge with it.
                if bytes.first == UInt8(ascii: ">") {
                    close()
                    let first = bytes.dropFirst().split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }).first
                    current = (first.map { String(decoding: $0, as: UTF8.self) } ?? "", "")
                } else if current != nil {
                    current!.sequence += String(decoding: bytes.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }, as: UTF8.self).uppercased()
                }
            }
            close()
            let read = contents.records.map { ($0.name, String($0.tokens.map { letters[$0] })) }
            guard read.count == expected.count, zip(read, expected).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 }) else {
                return "records read \(read.prefix(3)), the file's \(expected.prefix(3))"
            }
            return nil
        }
    }()

    static let jaspar: FuzzTarget = {
        let motif = ">MA0108.3\tTBP\nA  [ 61 16 352 3 354 268 360 222 155 56 83 82 82 68 77 ]\nC  [ 145 46 0 10 0 0 3 2 44 135 147 127 118 107 101 ]\nG  [ 152 18 2 2 5 0 10 44 157 150 128 128 128 139 140 ]\nT  [ 31 309 35 374 30 121 6 121 33 48 31 52 61 75 71 ]\n"
        return FuzzTarget(name: "jaspar", seeds: [Data(motif.utf8)], read: { data -> [PositionFrequencyMatrix] in
            guard let text = String(data: data, encoding: .utf8) else { throw CocoaError(.fileReadInapplicableStringEncoding) }
            return try JASPARFile.parse(text, file: "fuzz.jaspar")
        }) { data, motifs in
            // Independently: after each header line, the four rows' numbers between brackets.
            // Lines end at LF, CR LF or a lone CR (CR LF leaves an empty piece, dropped below).
            let lines = [UInt8](data).split(omittingEmptySubsequences: false, whereSeparator: { $0 == 0x0A || $0 == 0x0D })
                .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            var expected: [[[Double]]] = []
            var i = 0
            while i < lines.count {
                if lines[i].hasPrefix(">") {
                    let rows = lines[(i + 1)..<Swift.min(i + 5, lines.count)].map { line -> [Double] in
                        // The letter, then the numbers (between the brackets when there are any).
                        let rest = line.dropFirst()
                        let inside = rest.contains("[") ? rest.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" } : rest
                        return inside.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Double($0) }
                    }
                    expected.append(rows)
                    i += 5
                } else { i += 1 }
            }
            guard expected.count == motifs.count else { return "\(motifs.count) motifs read, the file holds \(expected.count)" }
            for (pfm, rows) in zip(motifs, expected) where pfm.counts != rows {
                return "motif \(pfm.identifier): counts \(pfm.counts), the file states \(rows)"
            }
            return nil
        }
    }()

    static let smilesSeeds = ["CC(C)(C)OC(=O)N1CCC[C@H]1C(=O)O", "Cc1ccc(-n2nc(C(F)(F)F)cc2-c2ccc(S(N)(=O)=O)cc2)cc1", "[O-][n+]1ccccc1", "C%12CC%12", "O=c1cc[nH]cc1", "Clc1ccc(Br)cc1"]

    static let smiles = FuzzTarget(name: "smiles", seeds: [Data(("SMILES,name\n" + smilesSeeds.map { $0 + ",x" }.joined(separator: "\n")).utf8), Data(smilesSeeds.joined(separator: "\n").utf8)],
                                   read: { data -> SMILESFile.Contents in
        guard let text = String(data: data, encoding: .utf8) else { throw CocoaError(.fileReadInapplicableStringEncoding) }
        return try SMILESFile.parse(text, file: "fuzz.smi", csv: text.hasPrefix("SMILES"), invalid: .refuse)
    }) { data, contents in
        let text = String(decoding: data, as: UTF8.self)
        // Independently: the first field of every non-empty line (after the header for CSV).
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let csv = text.hasPrefix("SMILES")
        if csv { lines.removeFirst() }
        let fields = lines.map { line in String(line.split(whereSeparator: { csv ? $0 == "," : ($0 == " " || $0 == "\t") }).first ?? "").trimmingCharacters(in: .whitespaces) }
        guard fields == contents.molecules.map(\.smiles) else { return "SMILES read \(contents.molecules.map(\.smiles)), the file's first fields are \(fields)" }
        for m in contents.molecules {
            guard m.tokens.joined() == m.smiles, text.contains(m.smiles) else { return "'\(m.smiles)' is not the file's text or its tokens" }
            _ = try Molecule(smiles: m.smiles)
        }
        return nil
    }

    /// The atoms a SMILES string writes, in order, read by a scanner of its own: (element symbol,
    /// aromatic, charge, explicit hydrogens or nil outside brackets). Ring-bond digits, `%nn`,
    /// bonds, branches and stereo marks are skipped; nil when a character is not understood.
    static func writtenAtoms(_ smiles: String) -> [(symbol: String, aromatic: Bool, charge: Int, hydrogens: Int?)]? {
        let c = Array(smiles.unicodeScalars)
        var atoms: [(String, Bool, Int, Int?)] = []
        var i = 0
        func isLower(_ u: Unicode.Scalar) -> Bool { ("a"..."z").contains(u) }
        func isUpper(_ u: Unicode.Scalar) -> Bool { ("A"..."Z").contains(u) }
        func isDigit(_ u: Unicode.Scalar) -> Bool { ("0"..."9").contains(u) }
        while i < c.count {
            let u = c[i]
            if u == "[" {
                guard let close = c[i...].firstIndex(of: "]") else { return nil }
                var j = i + 1
                while j < close, isDigit(c[j]) { j += 1 }                       // isotope
                guard j < close else { return nil }
                var symbol: String, aromatic = false
                if isUpper(c[j]) {
                    symbol = String(c[j]); j += 1
                    // A second lowercase letter belongs to the symbol when the pair is an element.
                    if j < close, isLower(c[j]), ChemicalElement.named(symbol + String(c[j])) != nil { symbol += String(c[j]); j += 1 }
                } else if isLower(c[j]) {
                    aromatic = true
                    if j + 1 < close, isLower(c[j + 1]), ["se", "as", "te"].contains(String(c[j]) + String(c[j + 1])) {
                        symbol = String(c[j]).uppercased() + String(c[j + 1]); j += 2
                    } else { symbol = String(c[j]).uppercased(); j += 1 }
                } else { return nil }
                // Chirality: @, @@, or @ and a two-letter class with its number (@TH1, @OH12).
                if j < close, c[j] == "@" {
                    j += 1
                    if j < close, c[j] == "@" { j += 1 }
                    else if j + 1 < close, ["TH", "AL", "SP", "TB", "OH"].contains(String(c[j]) + String(c[j + 1])) {
                        j += 2
                        while j < close, isDigit(c[j]) { j += 1 }
                    }
                }
                var hydrogens = 0
                if j < close, c[j] == "H" {
                    j += 1; hydrogens = 1
                    var digits = ""
                    while j < close, isDigit(c[j]) { digits.unicodeScalars.append(c[j]); j += 1 }
                    if !digits.isEmpty { hydrogens = Int(digits) ?? -1 }
                }
                var charge = 0
                while j < close, c[j] == "+" || c[j] == "-" {
                    let sign = c[j] == "+" ? 1 : -1
                    j += 1
                    var digits = ""
                    while j < close, isDigit(c[j]) { digits.unicodeScalars.append(c[j]); j += 1 }
                    charge += sign * (digits.isEmpty ? 1 : Int(digits) ?? 0)
                }
                atoms.append((symbol, aromatic, charge, hydrogens))
                i = close + 1
            } else if u == "C" || u == "B" {
                let two = i + 1 < c.count && (u == "C" && c[i + 1] == "l" || u == "B" && c[i + 1] == "r")
                atoms.append((two ? String(u) + String(c[i + 1]) : String(u), false, 0, nil))
                i += two ? 2 : 1
            } else if ["N", "O", "P", "S", "F", "I"].contains(u) {
                atoms.append((String(u), false, 0, nil)); i += 1
            } else if ["b", "c", "n", "o", "p", "s"].contains(u) {
                atoms.append((String(u).uppercased(), true, 0, nil)); i += 1
            } else if "-=#$:/\\().0123456789%".unicodeScalars.contains(u) {
                i += 1
            } else {
                return nil
            }
        }
        return atoms
    }

    /// The molecule check. Its oracle compares the atoms (element, aromaticity, charge, bracket
    /// hydrogens) with those the string writes, read by a scanner of its own; bonds and implicit
    /// hydrogens are checked only through the descriptors' bounds.
    static let molecule = FuzzTarget(name: "molecule", seeds: smilesSeeds.map { Data($0.utf8) }, read: { data -> Molecule in
        guard let text = String(data: data, encoding: .utf8) else { throw CocoaError(.fileReadInapplicableStringEncoding) }
        return try Molecule(smiles: text)
    }) { data, molecule in
        guard let written = writtenAtoms(String(decoding: data, as: UTF8.self)) else { return "the scanner does not understand an accepted string" }
        let read = molecule.atoms
        guard written.count == read.count else { return "\(read.count) atoms read, the string writes \(written.count)" }
        for (k, (w, a)) in zip(written, read).enumerated() {
            guard w.symbol == a.element.symbol, w.aromatic == a.isAromatic, w.charge == a.charge, w.hydrogens.map({ $0 == a.hydrogens }) ?? true else {
                return "atom \(k): read \(a.element.symbol) aromatic \(a.isAromatic) charge \(a.charge) H\(a.hydrogens), the string writes \(w)"
            }
        }
        let descriptors = MolecularDescriptors(molecule)
        guard descriptors.quantitativeDrugLikeness > 0 && descriptors.quantitativeDrugLikeness <= 1 else { return "QED \(descriptors.quantitativeDrugLikeness) outside (0, 1]" }
        _ = PathFingerprint(molecule)
        return nil
    }
}
