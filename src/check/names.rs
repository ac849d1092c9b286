//! Names: each pack's namespace, in the checker's definitions and the packs' `use`
//! declarations; what a name (`Month`, `dates::Month`) means in a pack out.
//!
//! A pack's names are its own definitions and the names its `use` lists bring in (so a pack can
//! gather other packs' names for its users); `prefix::Name` is a name of the pack used under
//! that prefix. Definitions are keyed by pack, so two packs defining `Month` never clash.

use super::*;

impl<'f, 'a> Checker<'f, 'a> {
    /// Defines a name in the current pack; `false` (with the error) when the pack has it
    /// already, brings it in from another pack, or it is a built-in class.
    pub(super) fn define(&mut self, name: &ast::Ident, def: Def<'a>, what: &str) -> bool {
        if let Some(u) = self.imported_here(&name.name) {
            self.diags.push(
                Diagnostic::error(name.span, format!("`{}` is defined here and used from another pack", name.name))
                    .label(u, "used here")
                    .hint("rename one of them: `use pack { Name as Other }`"),
            );
            return false;
        }
        if let Some(prev) = self.defs.get(&(self.cur, name.name.clone())) {
            let prev_span = match prev {
                Def::Lexicon(_, s) | Def::Label(_, s) => *s,
                Def::Pattern(p) => p.name.span,
            };
            self.diags.push(
                Diagnostic::error(name.span, format!("`{}` is defined twice", name.name))
                    .label(prev_span, "first defined here"),
            );
            return false;
        }
        if Class::from_name(&name.name).is_some() || name.name == "any" || name.name == "_" {
            self.err(name.span, format!("`{}` is a built-in token class and cannot name a {what}", name.name));
            return false;
        }
        self.defs.insert((self.cur, name.name.clone()), def);
        true
    }
    /// The pack a file belongs to.
    pub(super) fn pack_of(&self, file: crate::source::FileId) -> PackId {
        self.file_packs.get(&file).copied().unwrap_or(PackId(0))
    }
    /// Where the current pack's `use` lists `name` (as the name used here), if it does.
    pub(super) fn imported_here(&self, name: &str) -> Option<Span> {
        let uses = &self.packs.get(self.cur.0 as usize)?.uses;
        uses.iter().flat_map(|u| &u.names).find(|(_, local)| local.name == name).map(|(_, l)| l.span)
    }
    /// What `name` (`Month` or `dates::Month`) means in the current pack.
    pub(super) fn lookup(&self, name: &str) -> Option<Def<'a>> {
        match name.split_once("::") {
            Some((prefix, rest)) => {
                let used = self.packs.get(self.cur.0 as usize)?.uses.iter().find(|u| u.prefix == prefix)?;
                self.exported(used.pack, rest, 0)
            }
            None => self.exported(self.cur, name, 0),
        }
    }
    /// A pack's names: its definitions and the names its `use` lists bring in (so a pack can
    /// gather other packs' names for its users).
    pub(super) fn exported(&self, pack: PackId, name: &str, depth: usize) -> Option<Def<'a>> {
        if let Some(d) = self.defs.get(&(pack, name.to_string())) {
            return Some(*d);
        }
        if depth > 64 {
            return None;
        }
        let uses = &self.packs.get(pack.0 as usize)?.uses;
        uses.iter().find_map(|u| {
            let (there, _) = u.names.iter().find(|(_, local)| local.name == name)?;
            self.exported(u.pack, &there.name, depth + 1)
        })
    }
    /// Every name a `use` list brings in must exist in its pack; two uses of one prefix must
    /// name one pack.
    pub(super) fn check_uses(&mut self) {
        for p in 0..self.packs.len() {
            self.cur = PackId(p as u32);
            let uses = self.packs[p].uses.clone();
            for (i, u) in uses.iter().enumerate() {
                if let Some(prev) = uses[..i].iter().find(|v| v.prefix == u.prefix && v.pack != u.pack) {
                    let msg = format!("two packs are used as `{}`", u.prefix);
                    self.diags.push(
                        Diagnostic::error(u.span, msg)
                            .label(prev.span, "first used here")
                            .hint("give one of them a prefix of its own with `as NAME`"),
                    );
                }
                for (there, _) in &u.names {
                    if self.exported(u.pack, &there.name, 0).is_some() {
                        continue;
                    }
                    let target = &self.packs[u.pack.0 as usize];
                    let brought = self.packs[u.pack.0 as usize].uses.iter().flat_map(|v| &v.names);
                    let mut names: Vec<&str> = self
                        .defs
                        .keys()
                        .filter(|(k, _)| *k == u.pack)
                        .map(|(_, n)| n.as_str())
                        .chain(brought.map(|(_, l)| l.name.as_str()))
                        .collect();
                    names.sort();
                    let hint = did_you_mean(&there.name, names.iter().copied()).map(|s| format!("did you mean `{s}`?"));
                    let msg = format!("the pack `{}` has no `{}`", target.name, there.name);
                    let d = self.err(there.span, msg);
                    d.hints.extend(hint);
                }
                for (j, (there, local)) in u.names.iter().enumerate() {
                    // The same name used again from the same pack (by another file of this
                    // pack) is the same name.
                    let before = uses[..i].iter().flat_map(|v| v.names.iter().map(move |n| (v.pack, n)));
                    let again = before.chain(u.names[..j].iter().map(|n| (u.pack, n)));
                    let clash = |(p, (t, l)): &(PackId, &(ast::Ident, ast::Ident))| {
                        l.name == local.name && (*p != u.pack || t.name != there.name)
                    };
                    if let Some((_, (_, prev))) = again.clone().find(clash) {
                        self.diags.push(
                            Diagnostic::error(local.span, format!("`{}` is used twice", local.name))
                                .label(prev.span, "first used here"),
                        );
                    }
                }
            }
        }
    }
    /// The names the current pack can use: its own, those its `use` lists bring in, and
    /// each used pack's names behind its prefix.
    pub(super) fn known_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.defs.keys().filter(|(p, _)| *p == self.cur).map(|(_, n)| n.clone()).collect();
        if let Some(pack) = self.packs.get(self.cur.0 as usize) {
            for u in &pack.uses {
                v.extend(u.names.iter().map(|(_, l)| l.name.clone()));
                v.extend(self.defs.keys().filter(|(p, _)| *p == u.pack).map(|(_, n)| format!("{}::{n}", u.prefix)));
            }
        }
        v.extend(Class::NAMES.iter().map(|s| s.to_string()));
        v.sort();
        v
    }
    pub(super) fn unknown(&mut self, ident: &ast::Ident, what: &str) {
        if ident.name == "i" {
            self.err(ident.span, "unknown name `i`")
                .hints
                .push("the `i` flag belongs to one literal: write `\"a\"i | \"b\"i`, not `(\"a\" | \"b\")i`".into());
            return;
        }
        if let Some((prefix, _)) = ident.name.split_once("::") {
            let uses = self.packs.get(self.cur.0 as usize).map(|p| p.uses.as_slice()).unwrap_or_default();
            if !uses.iter().any(|u| u.prefix == prefix) {
                let mut known: Vec<String> = uses.iter().map(|u| format!("`{}`", u.prefix)).collect();
                known.dedup();
                let d = self.err(ident.span, format!("no pack is used as `{prefix}` here"));
                d.hints.push(if known.is_empty() {
                    "add `use PACK as NAME` at the top of a file of this pack".into()
                } else {
                    format!("the packs used here: {}", known.join(", "))
                });
                return;
            }
        }
        let names = self.known_names();
        let hint = did_you_mean(&ident.name, names.iter().map(String::as_str)).map(|s| format!("did you mean `{s}`?"));
        let unloaded = self.unloaded;
        let d = self.err(ident.span, format!("unknown {what} `{}`", ident.name));
        if let Some(h) = hint {
            d.hints.push(h);
        }
        if unloaded {
            d.hints.push("a rule file with errors above was not loaded; it may define this name".into());
        }
    }
}
