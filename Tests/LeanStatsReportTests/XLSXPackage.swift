import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// An element of a parsed XML part: name (with its prefix), attributes, children and text.
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// The local name, without a namespace prefix.
    var localName: String { name.split(separator: ":").last.map(String.init) ?? name }

    /// Every descendant (this node included) with a local name, in document order.
    func all(_ local: String) -> [XMLNode] {
        var found: [XMLNode] = localName == local ? [self] : []
        for child in children { found += child.all(local) }
        return found
    }

    /// The first descendant with a local name.
    func first(_ local: String) -> XMLNode? { all(local).first }

    /// The direct children with a local name.
    func children(_ local: String) -> [XMLNode] { children.filter { $0.localName == local } }

    subscript(attribute: String) -> String? { attributes[attribute] }

    /// Parses a document.
    static func parse(_ data: Data) throws -> XMLNode {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else {
            throw XLSXPackage.Failure("malformed XML: \(parser.parserError.map { "\($0)" } ?? "no root")")
        }
        return root
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: XMLNode?
        var stack: [XMLNode] = []

        func parser(
            _ parser: XMLParser,
            didStartElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            let node = XMLNode(name: elementName, attributes: attributes)
            stack.last?.children.append(node)
            if root == nil { root = node }
            stack.append(node)
        }

        func parser(
            _ parser: XMLParser,
            didEndElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?
        ) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}

/// An unzipped `.xlsx` file, read the way a second implementation would: the raw parts, not libxlsxwriter.
struct XLSXPackage {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// One cell as stored.
    struct Cell {
        /// The `t` attribute: `s` (shared string), `n` or absent (number), `str`, `inlineStr`, `b`.
        var type: String?
        /// The style index (`s` attribute).
        var style: Int
        /// The raw `<v>` text.
        var rawValue: String?
        /// The formula, when the cell has one.
        var formula: String?
    }

    /// Every part of the package by its path.
    let parts: [String: Data]

    /// Unzips a workbook.
    init(path: String) throws {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        var parts: [String: Data] = [:]
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry, consumer: { data.append($0) })
            parts[entry.path] = data
        }
        self.parts = parts
    }

    /// A part parsed as XML.
    func xml(_ path: String) throws -> XMLNode {
        guard let data = parts[path] else { throw Failure("the package has no part \(path)") }
        return try XMLNode.parse(data)
    }

    /// A part as text.
    func text(_ path: String) -> String? { parts[path].map { String(decoding: $0, as: UTF8.self) } }

    /// The sheet names in workbook order.
    func sheetNames() throws -> [String] {
        try xml("xl/workbook.xml").all("sheet").compactMap { $0["name"] }
    }

    /// The part path of a sheet, found through the workbook's relationships.
    func sheetPath(_ name: String) throws -> String {
        guard let sheet = try xml("xl/workbook.xml").all("sheet").first(where: { $0["name"] == name }),
            let id = sheet["r:id"]
        else { throw Failure("no sheet named \(name)") }
        guard
            let target = try xml("xl/_rels/workbook.xml.rels").all("Relationship").first(where: { $0["Id"] == id })?[
                "Target"
            ]
        else { throw Failure("no relationship \(id)") }
        return "xl/" + target
    }

    /// A sheet's XML.
    func sheet(_ name: String) throws -> XMLNode { try xml(try sheetPath(name)) }

    /// The shared strings, in index order, with `_xHHHH_` escapes decoded as Excel decodes them.
    func sharedStrings() throws -> [String] {
        guard parts["xl/sharedStrings.xml"] != nil else { return [] }
        return try xml("xl/sharedStrings.xml").all("si").map { item in
            Self.decodingEscapes(item.all("t").map(\.text).joined())
        }
    }

    /// Decodes the `_xHHHH_` escapes of spreadsheet text (ST_Xstring) into the characters they stand for.
    static func decodingEscapes(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if scalars[index] == "_", index + 6 < scalars.count, scalars[index + 1] == "x", scalars[index + 6] == "_",
                let value = UInt32(String(String.UnicodeScalarView(scalars[(index + 2)...(index + 5)])), radix: 16),
                let scalar = Unicode.Scalar(value)
            {
                result.append(scalar)
                index += 7
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return String(result)
    }

    /// Every cell of a sheet by its reference (`B5`).
    func cells(_ name: String) throws -> [String: Cell] {
        var cells: [String: Cell] = [:]
        for cell in try sheet(name).all("c") {
            guard let reference = cell["r"] else { continue }
            cells[reference] = Cell(
                type: cell["t"],
                style: Int(cell["s"] ?? "0") ?? 0,
                rawValue: cell.first("v")?.text,
                formula: cell.first("f")?.text
            )
        }
        return cells
    }

    /// The number format code of each cell style (`cellXfs` index), built-in formats by their code.
    func numberFormats() throws -> [Int: String] {
        let styles = try xml("xl/styles.xml")
        var codes: [Int: String] = [
            0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 14: "m/d/yy",
        ]
        for format in styles.all("numFmt") {
            if let id = format["numFmtId"].flatMap(Int.init), let code = format["formatCode"] { codes[id] = code }
        }
        guard let xfs = styles.first("cellXfs") else { return [:] }
        var result: [Int: String] = [:]
        for (index, xf) in xfs.children("xf").enumerated() {
            result[index] = codes[Int(xf["numFmtId"] ?? "0") ?? 0] ?? "?"
        }
        return result
    }

    /// The values of a sheet as a reader sees them: shared strings resolved, numbers as `Double`.
    func values(_ name: String) throws -> [String: CellValue] {
        let strings = try sharedStrings()
        var values: [String: CellValue] = [:]
        for (reference, cell) in try cells(name) {
            switch cell.type {
            case "s":
                values[reference] = .text(strings[Int(cell.rawValue ?? "") ?? 0])
            case "str", "inlineStr":
                values[reference] = .text(cell.rawValue ?? "")
            default:
                if let raw = cell.rawValue, let number = Double(raw) { values[reference] = .number(number) }
            }
        }
        return values
    }

    /// The chart parts drawn on a sheet, through its drawing's relationships.
    func charts(on name: String) throws -> [XMLNode] {
        let path = try sheetPath(name)
        let relsPath = path.replacingOccurrences(of: "worksheets/", with: "worksheets/_rels/") + ".rels"
        guard parts[relsPath] != nil else { return [] }
        let drawings = try xml(relsPath).all("Relationship").compactMap { $0["Target"] }.filter {
            $0.contains("drawing")
        }
        var charts: [XMLNode] = []
        for drawing in drawings {
            let drawingPath = "xl/drawings/" + (drawing.split(separator: "/").last.map(String.init) ?? drawing)
            let drawingRels =
                "xl/drawings/_rels/" + (drawingPath.split(separator: "/").last.map(String.init) ?? "") + ".rels"
            for target in try xml(drawingRels).all("Relationship").compactMap({ $0["Target"] }) {
                charts.append(try xml("xl/charts/" + (target.split(separator: "/").last.map(String.init) ?? target)))
            }
        }
        return charts
    }
}

/// A cell value as a reader sees it.
enum CellValue: Equatable, CustomStringConvertible {
    case text(String)
    case number(Double)

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var description: String {
        switch self {
        case .text(let value): "text(\(value))"
        case .number(let value): "number(\(value))"
        }
    }
}
