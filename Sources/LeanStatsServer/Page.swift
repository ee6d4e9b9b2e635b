import LeanStatsCore

/// The shared frame of the HTML pages: head, inline style sheet (no external resources), time formatting.
enum Page {
    /// The document start up to and including `<body>`.
    static func head(title: String) -> String {
        """
        <!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1">\
        <title>\(HTML.escape(title))</title><style>\(style)</style></head><body>
        """
    }

    /// The style sheet: a CSS grid of cards and panels that collapses to one column on a phone.
    static let style = """
        *{box-sizing:border-box}body{margin:0;padding:16px;font-family:"PingFang SC","Noto Sans CJK SC",\
        "Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;background:#f3f5f9;color:#223}\
        header{display:flex;flex-wrap:wrap;align-items:flex-end;justify-content:space-between;gap:8px;margin-bottom:12px}\
        h1{font-size:22px;margin:0}.sub{margin:4px 0 0;color:#667;font-size:13px}\
        .pick{display:flex;gap:8px;flex-wrap:wrap}.pick label{font-size:13px;color:#445}\
        select,button{font:inherit;padding:5px 8px;border:1px solid #ccd;border-radius:6px;background:#fff;max-width:11em}\
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin-bottom:12px}\
        .card{display:flex;flex-direction:column;background:#fff;border-radius:10px;padding:12px 14px;\
        box-shadow:0 1px 3px rgba(0,0,0,.08);text-decoration:none;color:inherit}\
        .card .k{font-size:13px;color:#667}.card .v{font-size:26px;font-weight:600;margin:4px 0}\
        .card .d{font-size:12px}.up{color:#16a085}.down{color:#c0392b}.flat{color:#889}\
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px}\
        .panel{background:#fff;border-radius:10px;padding:12px 14px;box-shadow:0 1px 3px rgba(0,0,0,.08);min-width:0}\
        .panel h2{font-size:15px;margin:0 0 8px}.chart{display:block;max-width:100%;height:auto}\
        .chart a:hover rect,.chart a:hover circle{opacity:.75}.more{font-size:12px;color:#2f6fde;text-decoration:none}\
        footer{margin-top:14px;font-size:12px;color:#667}footer a,td a{color:#2f6fde}\
        .tbl{overflow-x:auto;background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
        table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:6px 8px;border-bottom:1px solid #eef;\
        text-align:left;white-space:nowrap}th{background:#f7f8fb;position:sticky;top:0}\
        .error{background:#fff3f3;border:1px solid #f3c0c0;border-radius:8px;padding:12px}\
        @media (max-width:420px){body{padding:10px}.grid{grid-template-columns:1fr}.cards{grid-template-columns:1fr 1fr}\
        .card .v{font-size:22px}}
        """

    /// A local time `yyyy-MM-dd HH:mm` in the clock's zone.
    static func time(_ instant: Int64, clock: ZoneClock) -> String {
        let local = instant + clock.offset(at: instant)
        let date = clock.date(at: instant)
        let seconds = ((local % 86_400) + 86_400) % 86_400
        let hour = seconds / 3600
        let minute = seconds % 3600 / 60
        return "\(date) \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
    }

    /// A small page with one message, for errors.
    static func message(title: String, _ text: String) -> String {
        head(title: title) + "<h1>\(HTML.escape(title))</h1><p class=\"error\">\(HTML.escape(text))</p>"
            + "<p><a href=\"/\">返回看板</a></p></body></html>\n"
    }
}
