"""Classification lists used on reports and in statistics.

The source documents name only a few categories (partnership.md §5.2 T8–T11, Appendix B); the rest of each list
is our documented choice (docs/domain.md), kept here as data so an installation can extend it.
"""

from __future__ import annotations

# §5.2 T9: the three named website vulnerability types come first.
WEBSITE_VULNERABILITY_TYPES: dict[str, tuple[str, str]] = {
    "xss": ("クロスサイト・スクリプティング", "Cross-site scripting (XSS)"),
    "dns_misconfiguration": ("DNS 情報の設定不備", "DNS misconfiguration"),
    "sql_injection": ("SQL インジェクション", "SQL injection"),
    "directory_traversal": ("ディレクトリ・トラバーサル", "Directory traversal"),
    "csrf": ("クロスサイト・リクエスト・フォージェリ", "Cross-site request forgery (CSRF)"),
    "file_misconfiguration": ("ファイルの誤った公開", "Files exposed by mistake"),
    "http_header_injection": ("HTTP ヘッダ・インジェクション", "HTTP header injection"),
    "os_command_injection": ("OS コマンド・インジェクション", "OS command injection"),
    "authentication": ("認証に関する不備", "Authentication flaw"),
    "session_management": ("セッション管理の不備", "Session management flaw"),
    "other": ("その他", "Other"),
}

# §5.2 T10: the three named threats come first.
WEBSITE_THREATS: dict[str, tuple[str, str]] = {
    "false_information": ("本物サイト上への偽情報の表示", "False information displayed on the genuine site"),
    "domain_information_insertion": ("ドメイン情報の挿入", "Insertion of domain information"),
    "data_tampering": ("データの改ざん、消去", "Data tampering or deletion"),
    "personal_information_leak": ("個人情報の漏洩", "Leak of personal information"),
    "server_takeover": ("サーバ内ファイルの漏洩・不正操作", "Server files leaked or manipulated"),
    "impersonation": ("なりすまし", "Impersonation"),
    "other": ("その他", "Other"),
}

# §5.2 T11 ([R2012] Fig.1-10): the three company kinds come first; the rest is ours (Appendix B).
WEBSITE_OPERATOR_TYPES: dict[str, tuple[str, str]] = {
    "listed_company": ("株式企業（上場）", "Listed company"),
    "unlisted_company": ("株式企業（非上場）", "Unlisted company"),
    "other_company": ("その他企業", "Other company"),
    "public_body": ("政府機関・地方公共団体", "Government or local public body"),
    "education": ("教育・研究機関", "Educational or research institution"),
    "non_profit": ("団体（非営利）", "Association or non-profit"),
    "individual": ("個人", "Individual"),
    "other": ("その他", "Other"),
}

EXPLOITATION_CHOICES: dict[str, tuple[str, str]] = {
    "unknown": ("不明", "Unknown"),
    "no": ("確認していない", "Not observed"),
    "yes": ("悪用を確認した", "Exploitation observed"),
}

CREDIT_CHOICES: dict[str, tuple[str, str]] = {
    "name": ("氏名を掲載してほしい", "Credit me by name"),
    "handle": ("別名（ハンドル）で掲載してほしい", "Credit me under a handle"),
    "none": ("掲載しないでほしい", "Do not credit me"),
}


def label(table: dict[str, tuple[str, str]], code: str, language: str) -> str:
    ja, en = table.get(code, (code, code))
    return en if language == "en" else ja


def choices(table: dict[str, tuple[str, str]], language: str) -> list[tuple[str, str]]:
    return [(code, en if language == "en" else ja) for code, (ja, en) in table.items()]
