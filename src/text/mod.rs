//! Text: article text in, a [`Document`] of tokens, sentences and paragraphs out.
//!
//! The tokenizer is Unicode-aware and rule-free: words (letters, digits and
//! combining marks), numbers with inner separators (`1,000`, `3.2`, `10:30`),
//! abbreviations and initials with their period (`U.S.`, `Mr.`, `J.`),
//! apostrophes inside words (`O'Brien`, `Qa'im`), clitics split off (`France's` is
//! `France` `'s`), and every other character a token of its own (so `two-plus-two`
//! is five tokens). Whitespace is not a token, but each token knows whether space
//! came before it.
//!
//! Sentences end after `.`, `!`, `?` or `…` (with any closing quotes and
//! brackets that follow) unless the next token is a lower-case word or starts with a digit, and at
//! (a citation mark such as `[11]` after the stop stays with the sentence it follows), and at
//! every line break unless the paragraph is hard-wrapped prose ([`is_wrapped`]: its lines mostly
//! end inside a sentence and none looks like a list item or a speaker's turn), where a single line
//! break is a space; paragraphs end at blank lines. Every token carries byte and character
//! (Unicode scalar value) offsets into the original text.
//!
//! [`normalize`] gives the key that literals and lexicon entries are compared
//! on: NFKC, curly quotes and apostrophes made straight, dash variants made
//! `-`; [`fold_case`] adds lower-casing.

use unicode_normalization::UnicodeNormalization;

/// What a token is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TokenKind {
    /// Contains a letter.
    Word,
    /// Digits, with inner separators.
    Number,
    /// Punctuation.
    Punct,
    /// Any other symbol.
    Symbol,
}

impl TokenKind {
    /// The name used in rules and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Word => "word",
            TokenKind::Number => "number",
            TokenKind::Punct => "punct",
            TokenKind::Symbol => "symbol",
        }
    }
}

/// Token flags (bits of [`Token::flags`]).
pub mod flag {
    /// A word whose first letter is upper case (`Paris`, `3Com`; digits before it do not count).
    pub const CAP: u16 = 1;
    /// Has letters, all upper case.
    pub const UPPER: u16 = 2;
    /// Has letters, all lower case.
    pub const LOWER: u16 = 4;
    /// One upper-case letter, with or without a period.
    pub const INITIAL: u16 = 8;
    /// Whitespace (or the start of the text) comes right before it.
    pub const SPACE_BEFORE: u16 = 16;
    /// All its bytes are ASCII.
    pub const ASCII: u16 = 32;
    /// Its text is already its normalized key (no quotes, dashes or non-ASCII to fold).
    pub const PLAIN: u16 = 64;
    /// Title case: an upper-case letter first, no other upper-case letter.
    pub const TITLE: u16 = 128;
}

/// One token. Offsets are end-exclusive; `start < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// First character (Unicode scalar value index).
    pub char_start: u32,
    /// One past the last character.
    pub char_end: u32,
    /// What it is made of.
    pub kind: TokenKind,
    /// Bits from [`flag`].
    pub flags: u16,
}

impl Token {
    /// Whether a flag is set.
    #[inline]
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
}

/// A tokenized text. Sentences and paragraphs are token ranges that cover
/// every token exactly once, in order.
#[derive(Debug, Clone)]
pub struct Document<'t> {
    /// The original text.
    pub text: &'t str,
    /// Its tokens, in order.
    pub tokens: Vec<Token>,
    /// Token ranges `[start, end)` of sentences.
    pub sentences: Vec<(u32, u32)>,
    /// Token ranges `[start, end)` of paragraphs.
    pub paragraphs: Vec<(u32, u32)>,
}

impl<'t> Document<'t> {
    /// Tokenizes a text.
    pub fn new(text: &'t str) -> Document<'t> {
        Document::with_line_breaks(text, LineBreaks::Auto)
    }

    /// Tokenizes a text, with single line breaks read as `breaks` says.
    pub fn with_line_breaks(text: &'t str, breaks: LineBreaks) -> Document<'t> {
        let mut doc =
            Document { text, tokens: Vec::with_capacity(text.len() / 4 + 16), sentences: vec![], paragraphs: vec![] };
        let mut t = Tokenizer::new(text);
        t.breaks = breaks;
        t.run(&mut doc);
        // A large document keeps no room for tokens it does not have (a doubled vector is 2×).
        if doc.tokens.capacity() > doc.tokens.len() + 4096 {
            doc.tokens.shrink_to_fit();
        }
        doc
    }

    /// Tokenizes only the byte ranges `windows` of a text (sorted, apart, each
    /// starting and ending at ASCII whitespace or an end of the text). Tokens
    /// keep their offsets into the whole text; each window is its own
    /// paragraph and ends a sentence. Within a window, tokens and sentence
    /// boundaries are those of [`Document::new`].
    pub fn from_windows(text: &'t str, windows: &[(usize, usize)], breaks: LineBreaks) -> Document<'t> {
        Document::from_windows_at(text, windows, breaks, (0, 0))
    }

    /// [`Document::from_windows`] for windows from byte `from.0` on, which is character
    /// `from.1` of the text (a piece of a long text, without counting what is before it).
    pub fn from_windows_at(
        text: &'t str,
        windows: &[(usize, usize)],
        breaks: LineBreaks,
        from: (usize, u32),
    ) -> Document<'t> {
        let bytes: usize = windows.iter().map(|(a, b)| b - a).sum();
        let mut doc = Document::tokenize_windows(text, windows, breaks, from, Vec::with_capacity(bytes / 4 + 16));
        if doc.tokens.capacity() > doc.tokens.len() + 4096 {
            doc.tokens.shrink_to_fit();
        }
        doc
    }

    /// [`Document::from_windows_at`] into a token vector that may hold room from before.
    pub(crate) fn tokenize_windows(
        text: &'t str,
        windows: &[(usize, usize)],
        breaks: LineBreaks,
        from: (usize, u32),
        mut tokens: Vec<Token>,
    ) -> Document<'t> {
        tokens.clear();
        let mut doc = Document { text, tokens, sentences: vec![], paragraphs: vec![] };
        let bytes = text.as_bytes();
        let (mut at, mut chars) = from;
        // Where the paragraph of the next window began, found by one pass over the text (what
        // the windows hold included), and whether that paragraph is wrapped prose, judged once.
        let mut paragraphs = Paragraphs { at: from.0, start: None, newline: false, judged: None };
        for &(start, end) in windows {
            debug_assert!(at <= start && start <= end && end <= text.len());
            chars += count_chars(&bytes[at..start]);
            let mut t = Tokenizer::new(&text[..end]);
            t.full = text;
            t.breaks = breaks;
            t.pos = start;
            t.chars = chars;
            if breaks == LineBreaks::Auto {
                t.wrapped_first = paragraphs.wrapped_at(text, start);
            }
            t.run(&mut doc);
            chars = t.chars;
            at = end;
        }
        doc
    }

    /// The text of a token.
    #[inline]
    pub fn token_text(&self, i: usize) -> &'t str {
        let t = &self.tokens[i];
        &self.text[t.start as usize..t.end as usize]
    }
}

/// The paragraphs of a text read forward to each window of [`Document::tokenize_windows`]: a
/// paragraph begins at the first non-space byte after whitespace with two line breaks, as the
/// tokenizer has it.
struct Paragraphs {
    /// Bytes before this are read.
    at: usize,
    /// Where the current paragraph began (`None`: it begins at the next non-space byte).
    start: Option<usize>,
    /// A line break was read since the last non-space byte.
    newline: bool,
    /// The last paragraph judged, and whether it is wrapped prose.
    judged: Option<(usize, bool)>,
}

impl Paragraphs {
    /// Whether the paragraph a window from `pos` begins in is wrapped prose, when it began
    /// before `pos` (`None`: the window's first token begins a paragraph).
    fn wrapped_at(&mut self, text: &str, pos: usize) -> Option<bool> {
        for (i, &b) in text.as_bytes()[self.at..pos].iter().enumerate() {
            match b {
                b'\n' if self.newline => self.start = None,
                b'\n' => self.newline = true,
                b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => {}
                _ => {
                    self.newline = false;
                    self.start.get_or_insert(self.at + i);
                }
            }
        }
        self.at = pos;
        let start = self.start?;
        match self.judged {
            Some((s, w)) if s == start => Some(w),
            _ => {
                let w = is_wrapped(&text[start..]);
                self.judged = Some((start, w));
                Some(w)
            }
        }
    }
}

/// Characters in `bytes`, which start and end at character boundaries.
pub(crate) fn count_chars(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count() as u32
}

/// Whether a non-ASCII character's key could hold ASCII letters or digits, or change the letter before it.
pub(crate) fn may_become_ascii(c: char) -> bool {
    static BMP: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    fn compute(c: char) -> bool {
        let mut key = String::new();
        fold_case(c.encode_utf8(&mut [0; 4]), &mut key);
        unicode_normalization::char::is_combining_mark(c) || key.bytes().any(|b| b.is_ascii_alphanumeric())
    }
    let code = c as usize;
    if code >= 0x10000 {
        return compute(c);
    }
    let table = BMP.get_or_init(|| {
        let mut bits = vec![0u64; 0x10000 / 64];
        for (code, c) in (0x80..0x10000u32).filter_map(|u| char::from_u32(u).map(|c| (u as usize, c))) {
            if compute(c) {
                bits[code / 64] |= 1 << (code % 64);
            }
        }
        bits
    });
    table[code / 64] & (1 << (code % 64)) != 0
}

/// Words that keep their period: titles and military ranks, corporate suffixes, months, US states
/// as news agencies abbreviate them (`Calif.`, `Tex.`) and the like.
const ABBREVIATIONS: &[&str] = &[
    "Adm", "Apr", "Aug", "Brig", "Capt", "Cmdr", "Co", "Col", "Corp", "Dec", "Dr", "Feb", "Fr", "Gen", "Gov", "Hon",
    "Inc", "Jan", "Jr", "Jul", "Jun", "Lt", "Ltd", "Maj", "Mar", "Mr", "Mrs", "Ms", "Mt", "No", "Nov", "Oct", "Prof",
    "Rep", "Rev", "Sen", "Sep", "Sept", "Sgt", "Sr", "St", "Supt", "vs", "etc", "approx", "Ave", "Blvd", "Dept", "Est",
    "Messrs", "Pres", "Sec", "Spc", "Pfc", "Pvt", "Cpl", "Ens", "Cdr", "Gens", "Ala", "Ariz", "Ark", "Calif", "Colo",
    "Conn", "Fla", "Ga", "Ill", "Kan", "Ky", "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mont", "Neb", "Nev", "Okla",
    "Ore", "Pa", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis", "Wyo",
];

const ALNUM: u8 = 1;
const UPPER: u8 = 2;
const LOWER: u8 = 4;

/// Classes of ASCII bytes for the tokenizer's fast path (non-ASCII bytes: 0).
static ASCII_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_uppercase() {
            t[b] = ALNUM | UPPER;
        } else if c.is_ascii_lowercase() {
            t[b] = ALNUM | LOWER;
        } else if c.is_ascii_digit() {
            t[b] = ALNUM;
        }
        b += 1;
    }
    t
};

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}')
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
    }
}

fn is_symbol(c: char) -> bool {
    matches!(
        c,
        '$' | '%'
            | '+'
            | '<'
            | '='
            | '>'
            | '^'
            | '`'
            | '|'
            | '~'
            | '€'
            | '£'
            | '¥'
            | '©'
            | '®'
            | '°'
            | '§'
            | '¢'
            | '₹'
            | '×'
            | '±'
    )
}

/// The length in bytes of a citation mark that starts `text` (`[11]`, `[a]`, `[citation needed]`:
/// a bracket, up to 30 characters without a bracket or line break, a bracket), or 0.
fn citation_len(text: &str) -> usize {
    let Some(rest) = text.strip_prefix('[') else { return 0 };
    match rest.char_indices().take(31).find(|&(_, c)| matches!(c, ']' | '[' | '\n')) {
        Some((i, ']')) if i > 0 => i + 2,
        _ => 0,
    }
}

/// What a single line break inside a paragraph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineBreaks {
    /// A space in hard-wrapped prose ([`is_wrapped`]), a sentence end elsewhere.
    #[default]
    Auto,
    /// Always a space: lines are wrapped prose.
    Space,
    /// Always a sentence end: every line is a unit.
    Sentence,
}

/// Whether the paragraph that starts `text` (up to a blank line) is hard-wrapped prose: two lines
/// or more, most of them (all but the last) ending inside a sentence and 40 characters long or more
/// on average, none starting like a list item or a speaker's turn. Then its single line breaks are spaces; otherwise (one paragraph a line,
/// lists, headings, verse, transcripts) each line break ends a sentence.
fn is_wrapped(text: &str) -> bool {
    let end = text.find("\n\n").or_else(|| text.find("\n\r\n")).unwrap_or(text.len());
    let lines: Vec<&str> = text[..end].lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.len() < 2 {
        return false;
    }
    let inner = &lines[..lines.len() - 1];
    let open =
        inner.iter().filter(|l| !l.ends_with(['.', '!', '?', ':', ';', '"', '\u{201d}', ')', ']', '\u{2026}'])).count();
    let marked = lines.iter().any(|l| starts_like_item(l));
    // Wrapped lines run to a width, and the last line is no longer than they are: a heading or a
    // dateline above its text is short, or followed by a longer line.
    let lens: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
    let widest = lens[..inner.len()].iter().copied().max().unwrap_or(0);
    let width = lens[..inner.len()].iter().sum::<usize>() / inner.len();
    !marked && open * 2 > inner.len() && width >= 40 && lens[inner.len()] <= widest + 2
}

/// A list marker (`- `, `* `, `• `, `1. `, `2) `) or a speaker label (`OBAMA:`, `Q:`).
fn starts_like_item(line: &str) -> bool {
    let b = line.as_bytes();
    if line.starts_with(['-', '*', '\u{2022}', '\u{2013}']) && b.get(1).is_some_and(|c| *c == b' ') {
        return true;
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && digits < 4 && matches!(b.get(digits), Some(b'.' | b')')) && b.get(digits + 1) == Some(&b' ') {
        return true;
    }
    line.split_once(':').is_some_and(|(who, _)| {
        !who.is_empty() && who.len() <= 30 && who.chars().all(|c| c.is_uppercase() || c == ' ' || c == '.')
    })
}

struct Tokenizer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    chars: u32,
    breaks: LineBreaks,
    /// The whole text `text` is a prefix of: a paragraph's layout (wrapped prose or not) is
    /// judged on all of it, not on the part a window holds.
    full: &'t str,
    /// Whether the paragraph the first token is in, which began before `pos`, is wrapped prose
    /// (`None`: it begins at the first token).
    wrapped_first: Option<bool>,
}

impl<'t> Tokenizer<'t> {
    fn new(text: &'t str) -> Self {
        Tokenizer {
            text,
            full: text,
            bytes: text.as_bytes(),
            pos: 0,
            chars: 0,
            breaks: LineBreaks::Auto,
            wrapped_first: None,
        }
    }

    #[inline]
    fn peek(&self, at: usize) -> Option<char> {
        let b = *self.bytes.get(at)?;
        if b < 0x80 {
            Some(b as char)
        } else {
            self.text[at..].chars().next()
        }
    }

    /// Tokenizes from `self.pos` to the end of `self.text`, appending to `doc`.
    fn run(&mut self, doc: &mut Document<'t>) {
        let first = doc.tokens.len() as u32;
        let mut space_before = true;
        let mut newlines = 0u32;
        let mut sent_start = first;
        let mut par_start = first;
        let mut pending_end = false; // a sentence-final mark was seen
                                     // Whether the current paragraph is hard-wrapped prose (its line breaks are spaces), decided
                                     // once per paragraph from its lines.
        let mut par_byte: Option<usize> = None;
        // After a sentence-final stop, a citation mark (`[11]`, `[citation needed]`) belongs to the
        // sentence it follows: no boundary before it, the stop still pending until its end.
        let mut cite_end = 0usize;
        // The last token was an abbreviation with its period (`U.S.`, `Inc.`, `etc.`), not a
        // title or an initial: a sentence ends after it when a word that starts sentences follows.
        let mut abbrev_end = false;
        // ... and it is in lower case (`a.m.`, `q.i.d.`, `etc.`): any capitalized word but a name
        // of a day, a month or a time zone opens the next sentence.
        let mut lower_abbrev_end = false;
        let mut wrapped: Option<bool> = self.wrapped_first.take();
        while let Some(&b) = self.bytes.get(self.pos) {
            // ASCII whitespace, the common case, without decoding.
            if b < 0x80 && (b == b' ' || (b'\t'..=b'\r').contains(&b)) {
                newlines += (b == b'\n') as u32;
                self.pos += 1;
                self.chars += 1;
                space_before = true;
                continue;
            }
            let c = if b < 0x80 { b as char } else { self.peek(self.pos).expect("in bounds") };
            if b >= 0x80 && c.is_whitespace() {
                self.pos += c.len_utf8();
                self.chars += 1;
                space_before = true;
                continue;
            }
            let n = doc.tokens.len() as u32;
            // Boundaries decided by what came between the last token and this one.
            if n > first {
                let hard_line = newlines == 1
                    && match self.breaks {
                        LineBreaks::Sentence => true,
                        LineBreaks::Space => false,
                        LineBreaks::Auto => {
                            !*wrapped.get_or_insert_with(|| is_wrapped(&self.full[par_byte.unwrap_or(self.pos)..]))
                        }
                    };
                if newlines >= 2 {
                    push_range(&mut doc.sentences, sent_start, n);
                    push_range(&mut doc.paragraphs, par_start, n);
                    sent_start = n;
                    par_start = n;
                    par_byte = Some(self.pos);
                    wrapped = None;
                } else if let Some(len) = (pending_end && c == '[' && self.pos >= cite_end)
                    .then(|| citation_len(&self.text[self.pos..]))
                    .filter(|&len| len > 0)
                {
                    cite_end = self.pos + len;
                } else if hard_line
                    || (abbrev_end && space_before && starts_sentence(&self.text[self.pos..]))
                    || (lower_abbrev_end && space_before && starts_capitalized_clause(&self.text[self.pos..]))
                    || (pending_end
                        && self.pos >= cite_end
                        && !starts_lower(c)
                        && !c.is_ascii_digit()
                        && (space_before || !is_closer(c)))
                {
                    push_range(&mut doc.sentences, sent_start, n);
                    sent_start = n;
                }
            }
            newlines = 0;
            par_byte.get_or_insert(self.pos);
            let start = self.pos;
            let char_start = self.chars;
            let (kind, flags) = match self.fast_ascii() {
                Some(kf) => kf,
                None => {
                    let kind = self.scan(c);
                    (kind, flags_of(&self.text[start..self.pos], kind))
                }
            };
            let text = &self.text[start..self.pos];
            let mut tok =
                Token { start: start as u32, end: self.pos as u32, char_start, char_end: self.chars, kind, flags: 0 };
            tok.flags = flags | if space_before { flag::SPACE_BEFORE } else { 0 };
            // A closing quote or bracket right after the final mark stays in the sentence.
            let still_pending = pending_end
                && !space_before
                && text.chars().next().is_some_and(|c| is_closer(c) && c.len_utf8() == text.len());
            if !still_pending && start >= cite_end {
                pending_end = text.len() <= 3 && matches!(text, "." | "!" | "?" | "\u{2026}" | "...");
            }
            abbrev_end = kind == TokenKind::Word && ends_abbreviation(text);
            lower_abbrev_end = abbrev_end && ends_lower_abbreviation(text);
            doc.tokens.push(tok);
            space_before = false;
        }
        let n = doc.tokens.len() as u32;
        push_range(&mut doc.sentences, sent_start, n);
        push_range(&mut doc.paragraphs, par_start, n);
    }

    /// The common cases, decided from ASCII bytes alone: a run of letters and
    /// digits followed by an ASCII character that cannot extend it (not
    /// `,` `.` `:` `'`), or one punctuation character that cannot start a
    /// longer token. Returns the kind and flags, or `None` for the general path.
    #[inline]
    fn fast_ascii(&mut self) -> Option<(TokenKind, u16)> {
        let bytes = self.bytes;
        let start = self.pos;
        let b0 = bytes[start];
        if b0.is_ascii_alphanumeric() {
            let mut i = start;
            let (mut upper, mut lower) = (0u32, 0u32);
            // Whether the first letter is upper case.
            let mut first_upper = None;
            while let Some(&b) = bytes.get(i) {
                let class = ASCII_CLASS[b as usize];
                if class & ALNUM == 0 {
                    break;
                }
                upper += (class & UPPER != 0) as u32;
                lower += (class & LOWER != 0) as u32;
                if class & (UPPER | LOWER) != 0 && first_upper.is_none() {
                    first_upper = Some(class & UPPER != 0);
                }
                i += 1;
            }
            let letters = upper + lower;
            match bytes.get(i) {
                Some(&b) if b >= 0x80 || matches!(b, b',' | b'.' | b':' | b'\'') => return None,
                _ => {}
            }
            let len = (i - start) as u32;
            self.pos = i;
            self.chars += len;
            if letters == 0 {
                return Some((TokenKind::Number, flag::ASCII | flag::PLAIN));
            }
            let mut f = flag::ASCII | flag::PLAIN;
            if first_upper == Some(true) {
                f |= flag::CAP;
                if is_title_case(&self.text[start..i]) {
                    f |= flag::TITLE;
                }
                if len == 1 {
                    f |= flag::INITIAL;
                }
            }
            if upper > 0 && lower == 0 {
                f |= flag::UPPER;
            }
            if lower > 0 && upper == 0 {
                f |= flag::LOWER;
            }
            return Some((TokenKind::Word, f));
        }
        if b0 < 0x80 && b0.is_ascii_punctuation() && !matches!(b0, b'.' | b'\'') {
            self.pos += 1;
            self.chars += 1;
            let kind = if is_symbol(b0 as char) { TokenKind::Symbol } else { TokenKind::Punct };
            let plain = if matches!(b0, b'"' | b'`') { 0 } else { flag::PLAIN };
            return Some((kind, flag::ASCII | plain));
        }
        None
    }

    /// Scans one token starting with `c` at `self.pos`; returns its kind.
    fn scan(&mut self, c: char) -> TokenKind {
        if is_word_char(c) {
            return self.scan_word();
        }
        if is_apostrophe(c) {
            // A clitic: 's, 't, 're, 've, 'll, 'd, 'm followed by no letter. The
            // same token whatever comes before, so that a literal "'s" matches it.
            let after = self.pos + c.len_utf8();
            if let Some(len) = clitic(&self.text[after..]) {
                self.advance_to(after + len);
                return TokenKind::Word;
            }
        }
        if c == '.' && self.text[self.pos..].starts_with("...") {
            self.advance_to(self.pos + 3);
            return TokenKind::Punct;
        }
        self.advance_to(self.pos + c.len_utf8());
        if is_symbol(c) {
            TokenKind::Symbol
        } else {
            TokenKind::Punct
        }
    }

    fn advance_to(&mut self, end: usize) {
        let span = &self.bytes[self.pos..end];
        self.chars += if span.is_ascii() { span.len() } else { self.text[self.pos..end].chars().count() } as u32;
        self.pos = end;
    }

    fn scan_word(&mut self) -> TokenKind {
        let start = self.pos;
        if let Some(len) = negation_clitic(&self.text[start..]) {
            self.advance_to(start + len);
            return TokenKind::Word;
        }
        let mut has_letter = false;
        let mut i = self.pos;
        // The ASCII run first, byte by byte.
        while let Some(&b) = self.bytes.get(i) {
            if b.is_ascii_alphanumeric() {
                has_letter |= b.is_ascii_alphabetic();
                i += 1;
            } else {
                break;
            }
        }
        loop {
            match self.peek(i) {
                Some(c) if is_word_char(c) => {
                    has_letter |= !c.is_ascii_digit() && !c.is_numeric();
                    i += c.len_utf8();
                }
                // Inner separators of numbers: 1,000  3.2  10:30
                Some(sep @ (',' | '.' | ':')) if !has_letter && i > start => {
                    if self.peek(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                        i += sep.len_utf8();
                    } else {
                        break;
                    }
                }
                // O'Brien, Qa'im, Shi'ite: an apostrophe between letters stays inside, unless a
                // clitic follows it (Jim 's, they 'd) or it is the one of n't.
                Some(a) if is_apostrophe(a) && has_letter => {
                    let after = i + a.len_utf8();
                    let next = self.peek(after);
                    let nt = i > start
                        && self.text.is_char_boundary(i - 1)
                        && negation_clitic(&self.text[i - 1..]).is_some();
                    let inner = next.is_some_and(|n| n.is_uppercase())
                        || next.is_some_and(char::is_lowercase) && clitic(&self.text[after..]).is_none();
                    if inner && !nt {
                        i += a.len_utf8();
                    } else {
                        break;
                    }
                }
                _ => break,
            }
        }
        // `don't` is `do` `n't`, `can't` `ca` `n't` (as Penn Treebank and spaCy split them).
        if let Some(last) = self.text[start..i].char_indices().last().map(|(k, _)| start + k) {
            if last > start && negation_clitic(&self.text[last..]).is_some() {
                i = last;
            }
        }
        let word = &self.text[start..i];
        // Abbreviations keep their period: U.S., J., Mr., Inc.
        if self.peek(i) == Some('.') {
            let single_letter = word.chars().count() == 1 && has_letter;
            if single_letter {
                // U.S. / a.m. / J.
                let mut j = i + 1;
                loop {
                    let mut it = self.text[j..].chars();
                    match (it.next(), it.next()) {
                        (Some(l), Some('.')) if l.is_alphabetic() => j += l.len_utf8() + 1,
                        _ => break,
                    }
                }
                let dotted = j > i + 1;
                if dotted || word.chars().next().is_some_and(|c| c.is_uppercase()) {
                    self.advance_to(j);
                    return TokenKind::Word;
                }
            } else if ABBREVIATIONS.contains(&word) {
                self.advance_to(i + 1);
                return TokenKind::Word;
            }
        }
        self.advance_to(i);
        if has_letter {
            TokenKind::Word
        } else {
            TokenKind::Number
        }
    }
}

/// The length of a clitic after an apostrophe at the start of `text` (`s`, `t`, `re`, `ve`,
/// `ll`, `d`, `m`, in lower or upper case), when no letter follows it.
fn clitic(text: &str) -> Option<usize> {
    ["s", "t", "re", "ve", "ll", "d", "m", "S", "T", "RE", "VE", "LL", "D", "M"]
        .into_iter()
        .find(|cl| text.starts_with(cl) && !text[cl.len()..].chars().next().is_some_and(is_word_char))
        .map(str::len)
}

/// The length of `n't` (any apostrophe, any case) at the start of `text`, when no letter
/// follows it.
fn negation_clitic(text: &str) -> Option<usize> {
    let mut it = text.char_indices();
    match (it.next(), it.next(), it.next()) {
        (Some((_, 'n' | 'N')), Some((_, a)), Some((k, 't' | 'T'))) if is_apostrophe(a) => {
            let end = k + 1;
            (!text[end..].chars().next().is_some_and(is_word_char)).then_some(end)
        }
        _ => None,
    }
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '\u{201D}' | '\u{2019}' | '\u{bb}')
}

/// Whether a token is an abbreviation that can end a sentence: it ends in its period and is
/// neither an initial (`J.`) nor a title or a word that announces what follows (`Dr.`, `No.`).
fn ends_abbreviation(text: &str) -> bool {
    const BEFORE_NAMES: &[&str] = &[
        "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Mt.", "Gen.", "Col.", "Lt.", "Sgt.", "Capt.", "Cmdr.", "Adm.",
        "Sen.", "Rep.", "Gov.", "Pres.", "Rev.", "Fr.", "Hon.", "No.", "Nos.", "Vol.", "Fig.", "pp.", "p.", "vs.",
        "v.", "Ft.", "ca.", "c.", "b.", "d.", "Spc.", "Pfc.", "Pvt.", "Cpl.", "Ens.", "Cdr.", "Gens.", "Brig.", "Maj.",
    ];
    text.len() > 2 && text.ends_with('.') && !BEFORE_NAMES.contains(&text)
}

/// Whether an abbreviation that ends a sentence is in lower case and ends what it abbreviates
/// (`a.m.`, `p.m.`, `q.i.d.`, `etc.`), unlike those that announce more (`e.g.`, `i.e.`, `cf.`).
fn ends_lower_abbreviation(text: &str) -> bool {
    const ANNOUNCE: &[&str] = &["e.g.", "i.e.", "cf.", "viz.", "approx.", "incl.", "esp.", "resp.", "ibid."];
    text.chars().all(|c| !c.is_alphabetic() || c.is_lowercase()) && !ANNOUNCE.contains(&text)
}

/// Whether `text` starts with a capitalized word that is not a day, a month or a time zone,
/// which a time or a dose before it would run on into (`9 a.m. Monday`, `10 p.m. EST`).
fn starts_capitalized_clause(text: &str) -> bool {
    const RUN_ON: &[&str] = &[
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Eastern",
        "Central",
        "Mountain",
        "Pacific",
        "Atlantic",
        "Alaska",
        "Hawaii",
        "GMT",
        "UTC",
        "BST",
        "CET",
        "CEST",
        "EST",
        "EDT",
        "CST",
        "CDT",
        "MST",
        "MDT",
        "PST",
        "PDT",
        "ET",
        "PT",
        "CT",
        "MT",
        "IST",
        "JST",
        "Local",
        "Moscow",
        "Beijing",
        "Tokyo",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "Mon",
        "Tue",
        "Tues",
        "Wed",
        "Thu",
        "Thur",
        "Thurs",
        "Fri",
        "Sat",
        "Sun",
    ];
    let word: &str = &text[..text.find(|c: char| !c.is_alphanumeric()).unwrap_or(text.len())];
    word.chars().next().is_some_and(char::is_uppercase) && !RUN_ON.contains(&word)
}

/// Whether `text` starts with a capitalized word that usually opens a sentence (`The`, `He`,
/// `But`, ...), so that an abbreviation before it ended the last one: `… to the U.S. The
/// President …`, but not `the U.S. Army`.
fn starts_sentence(text: &str) -> bool {
    const STARTERS: &[&str] = &[
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "He",
        "She",
        "It",
        "They",
        "We",
        "I",
        "You",
        "His",
        "Her",
        "Its",
        "Their",
        "Our",
        "My",
        "But",
        "And",
        "In",
        "On",
        "At",
        "For",
        "However",
        "Meanwhile",
        "After",
        "Before",
        "When",
        "While",
        "If",
        "As",
        "There",
        "Here",
        "Some",
        "Many",
        "Most",
        "All",
        "Both",
        "Each",
        "Another",
        "Yet",
        "So",
        "Then",
        "Also",
        "Still",
        "Thus",
        "Today",
        "Yesterday",
        "According",
        "Officials",
        "What",
        "Why",
        "How",
        "Who",
    ];
    let word: &str = &text[..text.find(|c: char| !c.is_alphabetic()).unwrap_or(text.len())];
    STARTERS.contains(&word)
}

fn starts_lower(c: char) -> bool {
    c.is_lowercase()
}

fn push_range(v: &mut Vec<(u32, u32)>, start: u32, end: u32) {
    if end > start {
        v.push((start, end));
    }
}

fn flags_of(text: &str, kind: TokenKind) -> u16 {
    let bytes = text.as_bytes();
    if bytes.is_ascii() {
        return ascii_flags(bytes, kind);
    }
    let mut f = 0;
    if kind != TokenKind::Word {
        return f;
    }
    let mut chars = text.chars();
    let first = chars.next().unwrap_or(' ');
    if text.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_uppercase) {
        f |= flag::CAP;
    }
    let (mut upper, mut lower) = (0, 0);
    for c in text.chars() {
        if c.is_uppercase() {
            upper += 1;
        } else if c.is_lowercase() {
            lower += 1;
        }
    }
    if upper > 0 && lower == 0 {
        f |= flag::UPPER;
    }
    if f & flag::CAP != 0 && is_title_case(text) {
        f |= flag::TITLE;
    }
    if lower > 0 && upper == 0 {
        f |= flag::LOWER;
    }
    if first.is_uppercase() && (chars.as_str().is_empty() || chars.as_str() == ".") {
        f |= flag::INITIAL;
    }
    f
}

/// `flags_of` for ASCII text, in one pass over the bytes.
fn ascii_flags(b: &[u8], kind: TokenKind) -> u16 {
    let mut f = flag::ASCII;
    let (mut upper, mut lower, mut quote) = (0u32, 0u32, false);
    for &c in b {
        upper += c.is_ascii_uppercase() as u32;
        lower += c.is_ascii_lowercase() as u32;
        quote |= matches!(c, b'\'' | b'"' | b'`');
    }
    if !quote {
        f |= flag::PLAIN;
    }
    if kind != TokenKind::Word {
        return f;
    }
    let first_upper = b.iter().find(|c| c.is_ascii_alphabetic()).is_some_and(u8::is_ascii_uppercase);
    if first_upper {
        f |= flag::CAP;
        if is_title_case(std::str::from_utf8(b).unwrap_or("")) {
            f |= flag::TITLE;
        }
        if b[0].is_ascii_uppercase() && (b.len() == 1 || (b.len() == 2 && b[1] == b'.')) {
            f |= flag::INITIAL;
        }
    }
    if upper > 0 && lower == 0 {
        f |= flag::UPPER;
    }
    if lower > 0 && upper == 0 {
        f |= flag::LOWER;
    }
    f
}

/// Title case as Python's `str.istitle` has it: every upper-case letter
/// follows a character without case, every lower-case letter follows one
/// with case, and there is at least one letter (`U.S.`, `O'Brien`; not `McLean`).
pub fn is_title_case(text: &str) -> bool {
    let mut prev_cased = false;
    let mut any = false;
    for c in text.chars() {
        if c.is_uppercase() {
            if prev_cased {
                return false;
            }
            prev_cased = true;
            any = true;
        } else if c.is_lowercase() {
            if !prev_cased {
                return false;
            }
            prev_cased = true;
            any = true;
        } else {
            prev_cased = false;
        }
    }
    any
}

/// The token shape used by `shape = "..."` tests: upper-case letters become
/// `X`, lower-case `x`, digits `d`, other characters stay; runs of more than
/// four of the same become four (`Xxxxx` for `Washington`, `dddd` for `2023`).
pub fn shape(text: &str) -> String {
    let mut out = String::new();
    let mut last = '\0';
    let mut run = 0;
    for c in text.chars() {
        let s = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() || c.is_alphabetic() {
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            c
        };
        if s == last {
            run += 1;
        } else {
            run = 1;
            last = s;
        }
        if run <= 4 {
            out.push(s);
        }
    }
    out
}

fn fold_char(c: char, out: &mut String) {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' | '`' | '\u{00B4}' => {
            out.push('\'')
        }
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}' => out.push('"'),
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' | '\u{FE58}'
        | '\u{FE63}' | '\u{FF0D}' => out.push('-'),
        _ => out.push(c),
    }
}

/// Appends the normalized key of `text` to `out`: NFKC, quotes, apostrophes
/// and dashes made plain. Case is kept.
pub fn normalize(text: &str, out: &mut String) {
    if text.is_ascii() {
        for c in text.chars() {
            fold_char(c, out);
        }
        return;
    }
    for c in text.nfkc() {
        fold_char(c, out);
    }
}

/// Appends the case-folded normalized key of `text` to `out`: what case-insensitive literals
/// and lexicons compare. Lower case as Unicode defines it for every script, except where that
/// would keep apart what a reader sees as one word in another case: a final sigma is a sigma
/// (`ΟΔΟΣ`, `οδος`), `ß` and `ẞ` are `ss` (`Straße`, `STRASSE`), and the four Turkish and
/// Latin I's (`I`, `ı`, `İ`, `i`) are all `i` (`DİYARBAKIR`, `Diyarbakır`), whatever the language.
pub fn fold_case(text: &str, out: &mut String) {
    if text.is_ascii() {
        for b in text.bytes() {
            fold_char(b.to_ascii_lowercase() as char, out);
        }
        return;
    }
    for c in text.nfkc() {
        match c {
            'ς' => out.push('σ'),
            'ß' | 'ẞ' => out.push_str("ss"),
            'İ' | 'ı' => out.push('i'),
            _ => {
                for l in c.to_lowercase() {
                    fold_char(l, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        let d = Document::new(s);
        (0..d.tokens.len()).map(|i| d.token_text(i)).collect()
    }

    #[test]
    fn splits_words_numbers_and_punctuation() {
        assert_eq!(texts("Japan, France plan talks."), ["Japan", ",", "France", "plan", "talks", "."]);
        assert_eq!(
            texts("China\u{2019}s 1,000 troops at 10:30"),
            ["China", "\u{2019}s", "1,000", "troops", "at", "10:30"]
        );
        assert_eq!(texts("the U.S. and Mr. J. Smith"), ["the", "U.S.", "and", "Mr.", "J.", "Smith"]);
        assert_eq!(texts("\u{201C}two-plus-two\u{201D}"), ["\u{201C}", "two", "-", "plus", "-", "two", "\u{201D}"]);
        assert_eq!(texts("O'Brien don't"), ["O'Brien", "do", "n't"]);
        assert_eq!(texts("Qa'im Shi'ite Jim's they'd"), ["Qa'im", "Shi'ite", "Jim", "'s", "they", "'d"]);
        assert_eq!(
            texts("can't Won\u{2019}t isn't CAN'T n't"),
            ["ca", "n't", "Wo", "n\u{2019}t", "is", "n't", "CA", "N'T", "n't"]
        );
        assert_eq!(
            texts("they're we've I'm she'll he'd"),
            ["they", "'re", "we", "'ve", "I", "'m", "she", "'ll", "he", "'d"]
        );
        // Not n't before a letter: an apostrophe inside a word, as in Qa'im.
        assert_eq!(texts("Nantes isn'tx"), ["Nantes", "isn'tx"]);
        assert_eq!(texts("ÉÉ'T é'T"), ["ÉÉ'T", "é'T"]);
    }

    #[test]
    fn offsets_count_characters_and_bytes() {
        let d = Document::new("Zoë Café ok");
        let t = d.tokens[1];
        assert_eq!((t.start, t.end, t.char_start, t.char_end), (5, 10, 4, 8));
        let d = Document::new("e\u{301}t\u{e9} x");
        assert_eq!(d.tokens.len(), 2);
    }

    #[test]
    fn wrapped_prose_joins_lines_and_lists_do_not() {
        let wrapped = Document::new(
            "The company said on Monday that its Chief Financial\nOfficer would leave at the end of the year, and that\nthe deal would close soon.",
        );
        assert_eq!(wrapped.sentences.len(), 1);
        let lines = Document::new("Japan talks.\nFrance agrees.\nNo date yet");
        assert_eq!(lines.sentences.len(), 3);
        let list = Document::new("- apples and\n- pears and\n- plums");
        assert_eq!(list.sentences.len(), 3);
        let transcript = Document::new("OBAMA: we will go on with\nQ: and what about the\nOBAMA: yes");
        assert_eq!(transcript.sentences.len(), 3);
        let heading = Document::new("Talks in Tokyo\nThe ministers met on Monday.");
        assert_eq!(heading.sentences.len(), 2);
        let long_heading = Document::new(
            "Operation Inherent Resolve - Targeted Operations Against ISIL Terrorists\nNavy Senior Chief Petty Officer Scott C. Dayton, 42, of Woodbridge, Virginia, died in northern Syria.",
        );
        assert_eq!(long_heading.sentences.len(), 2);
    }

    #[test]
    fn abbreviations_end_a_sentence_before_a_sentence_opener() {
        let d = Document::new(
            "Talks were held in Washington D.C. The six leaders met. The U.S. Army and Acme Inc. agreed.",
        );
        let starts: Vec<&str> = d.sentences.iter().map(|&(s, _)| d.token_text(s as usize)).collect();
        assert_eq!(starts, ["Talks", "The", "The"]);
        let d = Document::new("Dr. Smith met Mr. Jones. He left.");
        assert_eq!(d.sentences.len(), 2);
    }

    #[test]
    fn a_lower_case_abbreviation_ends_a_sentence_before_a_capitalized_word() {
        let count = |t: &str| Document::new(t).sentences.len();
        assert_eq!(count("Take two tablets q.i.d. Pt denies pain."), 2);
        assert_eq!(count("Bring pens, paper etc. Nobody came."), 2);
        assert_eq!(count("It opens at 9 a.m. Monday and closes at 5 p.m. EST today."), 1);
        assert_eq!(count("Some cities, e.g. Paris, agreed."), 1);
    }

    #[test]
    fn citation_marks_stay_with_the_sentence_they_follow() {
        let d = Document::new("He debuted in 1951. [11] In 24 games he hit .250. [3] [4] [citation needed] He left.");
        let starts: Vec<&str> = d.sentences.iter().map(|&(s, _)| d.token_text(s as usize)).collect();
        assert_eq!(starts, ["He", "In", "He"]);
    }

    #[test]
    fn sentences_and_paragraphs() {
        let d = Document::new("Headline here\n\nOne. Two said \"Yes.\" three.\nNext line");
        assert_eq!(d.paragraphs, vec![(0, 2), (2, 14)]);
        assert_eq!(d.sentences, vec![(0, 2), (2, 4), (4, 12), (12, 14)]);
    }

    #[test]
    fn normalization_folds_variants() {
        let mut s = String::new();
        fold_case("Indo\u{2011}Pacific \u{2019}S \u{FB01}", &mut s);
        assert_eq!(s, "indo-pacific 's fi");
        assert_eq!(shape("Washington"), "Xxxxx");
        assert_eq!(shape("2023"), "dddd");
        assert_eq!(shape("U.S."), "X.X.");
        for (t, title) in
            [("Paris", true), ("U.S.", true), ("O'Brien", true), ("McLean", false), ("A1b", false), ("NATO", false)]
        {
            assert_eq!(is_title_case(t), title, "{t}");
        }
    }

    #[test]
    fn case_folds_alike_in_every_script() {
        let fold = |t: &str| {
            let mut s = String::new();
            fold_case(t, &mut s);
            s
        };
        for (a, b) in [
            ("ΟΔΟΣ", "οδος"),
            ("Σίσυφος", "ΣΊΣΥΦΟΣ"),
            ("МОСКВА", "москва"),
            ("Straße", "STRASSE"),
            ("DİYARBAKIR", "Diyarbakır"),
            ("ISTANBUL", "İstanbul"),
        ] {
            assert_eq!(fold(a), fold(b), "{a} {b}");
        }
        assert_ne!(fold("Париж"), fold("Paris"));
    }

    #[test]
    fn tokens_that_start_with_a_digit_have_a_shape_and_a_case() {
        let doc = Document::new("3Com 3com 3M 7-Eleven Москва 4x4 ΑΘΗΝΑ");
        let has = |i: usize, f: u16| doc.tokens[i].has(f);
        let texts: Vec<&str> = (0..doc.tokens.len()).map(|i| doc.token_text(i)).collect();
        assert_eq!(texts, ["3Com", "3com", "3M", "7", "-", "Eleven", "Москва", "4x4", "ΑΘΗΝΑ"]);
        assert!(has(0, flag::CAP) && has(0, flag::TITLE) && !has(0, flag::UPPER));
        assert!(!has(1, flag::CAP) && has(1, flag::LOWER));
        assert!(has(2, flag::CAP) && has(2, flag::UPPER) && !has(2, flag::INITIAL));
        assert!(has(6, flag::CAP) && has(6, flag::TITLE));
        assert!(!has(7, flag::CAP));
        assert!(has(8, flag::CAP) && has(8, flag::UPPER));
        assert_eq!(shape("3Com"), "dXxx");
        assert_eq!(shape("Москва"), "Xxxxx");
    }
}
