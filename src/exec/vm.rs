//! Searching a unit's tokens: a bounded backtracker, and a Pike VM for units too large for it.
//!
//! In: a rule's instructions, the unit's bounds, its candidate starts (sorted)
//! and a guard (the rule's `where`). Out: every match, left to right, without
//! overlap, each the leftmost-first one from the earliest start that has one.
//!
//! **The backtracker** explores (instruction, position) pairs depth first in
//! priority order and visits each pair at most once per unit: a pair that was
//! explored and led to no accepted match leads to none from a later start
//! either, so the visited bits are kept across all starts and all matches of
//! the unit. After a match ending at position `e`, only the pairs at `e` can
//! lie on the accepted path and be reached again, so that one column is
//! cleared. A search of a unit therefore costs O(instructions × tokens), with
//! one bit per pair (units up to [`BACKTRACK_BITS`] pairs; the bits of the
//! pairs touched are cleared afterwards, so a sparse search costs its work).
//!
//! **The Pike VM** advances threads in lockstep, one token per step, in
//! priority order; two threads at the same instruction and position merge (the
//! first wins), so one search is O(instructions × tokens). It serves units
//! over [`BACKTRACK_BITS`] pairs; there each further match of the unit starts a
//! new search, so its bound is O(instructions × tokens × matches), and the
//! step budget of [`super::Limits`] is what bounds it.
//!
//! **A guard** (`where`) is checked where a match is found. A rejected match
//! is a dead end like any other: the search goes on with the lower-priority
//! alternatives and later starts, and, as everywhere, a pair already explored
//! is not explored again (merged paths share their fate).
//!
//! An annotation reference spans several tokens: the thread that takes it
//! waits, still in its place in the priority order, until the step where the
//! annotation ends.
//!
//! **Contexts** (`before`/`after`) are sub-programs run anchored at the
//! position asked about (right to left for `before`); their answers are
//! memoized per position. A context whose match has no bound on its length
//! (a gap, `*`, `+`, an annotation) would cost up to the unit's width per
//! position, so after a few questions in a unit it is answered for every
//! position of the unit at once: one pass of its mirror program (compiled in
//! the other direction) from every position, O(instructions × tokens).
//!
//! Every pair visited, thread stepped and context pass is counted in
//! [`Vm::steps`], which the step budget and the linearity tests read.

use super::{constraints_hold, test_id, Cx};
use crate::check::hir::LabelId;
use crate::compile::{FirstSteps, Inst, NO_SLOT};
use rustc_hash::FxHashMap;

const ACTIVE: u32 = u32::MAX;

#[derive(Default)]
struct Threads {
    /// (pc, wait target or ACTIVE)
    list: Vec<(u32, u32)>,
    /// `slots` values per thread, in list order.
    slots: Vec<u32>,
    /// Generation stamp per pc: visited at this position.
    seen: Vec<u32>,
    generation: u32,
}

impl Threads {
    fn reset(&mut self, ninsts: usize) {
        self.list.clear();
        self.slots.clear();
        if self.seen.len() < ninsts {
            self.seen.resize(ninsts, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.seen.fill(0);
            self.generation = 1;
        }
    }

    fn push(&mut self, pc: u32, wait: u32, slots: &[u32]) {
        self.list.push((pc, wait));
        self.slots.extend_from_slice(slots);
    }
}

/// One bit per (instruction, position) pair of a unit; the words set are
/// remembered so that clearing costs what setting did.
/// The bits are laid out position by position (`col × insts + pc`), so that the pairs of one
/// position, cleared after each match, are one run of words.
#[derive(Default)]
struct Visited {
    bits: Vec<u64>,
    touched: Vec<u32>,
    insts: usize,
}

impl Visited {
    fn reset(&mut self, insts: usize, width: usize) {
        for &w in &self.touched {
            self.bits[w as usize] = 0;
        }
        self.touched.clear();
        let words = (insts * width).div_ceil(64);
        if self.bits.len() < words {
            self.bits.resize(words, 0);
        }
        self.insts = insts;
    }

    /// Marks a pair; false when it was marked already.
    #[inline]
    fn insert(&mut self, pc: u32, col: u32) -> bool {
        let bit = col as usize * self.insts + pc as usize;
        let word = &mut self.bits[bit / 64];
        let mask = 1 << (bit % 64);
        if *word & mask != 0 {
            return false;
        }
        if *word == 0 {
            self.touched.push((bit / 64) as u32);
        }
        *word |= mask;
        true
    }

    /// Unmarks every pair at position `col`.
    fn clear_column(&mut self, col: u32) {
        let (from, to) = (col as usize * self.insts, (col as usize + 1) * self.insts);
        let (first, last) = (from / 64, (to - 1) / 64);
        for w in first..=last {
            // The bits of this word that lie in [from, to).
            let lo = if w == first { from % 64 } else { 0 };
            let hi = if w == last { (to - 1) % 64 } else { 63 };
            let mask = (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
            self.bits[w] &= !mask;
        }
    }
}

/// Context answers within one unit: per (context, position), and whole-unit
/// tables for contexts without a length bound.
#[derive(Default)]
pub(crate) struct Memo {
    bounds: (u32, u32),
    answers: FxHashMap<(u32, u32), bool>,
    /// Per context: questions asked in this unit, and its table once built.
    tables: FxHashMap<u32, (u32, Vec<bool>)>,
}

impl Memo {
    /// Forgets everything (a new rule, or a new document).
    pub(crate) fn clear(&mut self) {
        self.answers.clear();
        self.tables.clear();
    }

    /// Makes the memo answer for `bounds` (answers of another unit are dropped).
    fn enter(&mut self, bounds: (u32, u32)) {
        if self.bounds != bounds {
            self.bounds = bounds;
            self.clear();
        }
    }
}

/// Questions a context without a length bound is answered one by one in a
/// unit before it is answered for the whole unit at once.
const QUESTIONS_BEFORE_TABLE: u32 = 4;

enum Frame {
    Explore(u32),
    Restore(u32, u32),
}

/// VM scratch space.
#[derive(Default)]
pub(crate) struct Vm {
    clist: Threads,
    nlist: Threads,
    stack: Vec<Frame>,
    /// The slots of the last match found.
    work: Vec<u32>,
    /// Slots of the thread being extended.
    tmp: Vec<u32>,
    /// Scratch for context sub-programs (nested contexts nest further).
    sub: Option<Box<Vm>>,
    /// The backtracker's visited bits, one per (instruction, position).
    visited: Visited,
    /// The backtracker's choices still to try.
    choices: Vec<Choice>,
    /// Bindings of list captures, one node each, shared by every thread of a unit's search: a
    /// thread's list is the chain from the node in its log slot back through `prev`.
    log: Vec<LogNode>,
    /// Search with the Pike VM only (to test the two engines against each other).
    pub(crate) pike_only: bool,
    /// Work done: pairs visited, threads stepped, context passes (sub-VMs' included).
    pub(crate) steps: u64,
    /// Searches stop (and report nothing) once `steps` passes this.
    pub(crate) limit: Budget,
}

/// One binding of a list capture: capture, start, end, annotation, previous node (or NO_SLOT).
type LogNode = [u32; 5];

/// A match's slots followed by the bindings of its list captures in order (four values each:
/// capture, start, end, annotation), read from the chain that starts in slot `head`.
fn with_events<'s>(log: &[LogNode], slots: &'s [u32], head: Option<u32>) -> std::borrow::Cow<'s, [u32]> {
    let Some(h) = head else { return slots.into() };
    let mut chain = vec![];
    let mut at = slots[h as usize];
    while at != NO_SLOT {
        let n = &log[at as usize];
        chain.push(&n[..4]);
        at = n[4];
    }
    let mut full = slots.to_vec();
    chain.iter().rev().for_each(|n| full.extend_from_slice(n));
    full.into()
}

/// Records one binding of list capture `cap` in the log, its node in slot `head`; returns the
/// slot's old value (to restore when backtracking).
fn log_binding(log: &mut Vec<LogNode>, slots: &mut [u32], cap: u32, head: u32) -> Option<u32> {
    let (base, h) = (2 + 3 * cap as usize, head as usize);
    if h >= slots.len() || base + 2 >= slots.len() {
        return None;
    }
    log.push([cap, slots[base], slots[base + 1], slots[base + 2], slots[h]]);
    Some(std::mem::replace(&mut slots[h], (log.len() - 1) as u32))
}

/// A step limit; none by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Budget(pub(crate) u64);

impl Default for Budget {
    fn default() -> Budget {
        Budget(u64::MAX)
    }
}

impl Vm {
    /// Whether the step budget ran out.
    pub(crate) fn exhausted(&self) -> bool {
        self.steps > self.limit.0
    }
}

/// A rule's `where`: whether a match is accepted, given its slots and list bindings.
pub(crate) type Guard<'g> = &'g mut dyn FnMut(&[u32]) -> bool;

impl Vm {
    /// Finds every match in a unit, left to right and without overlap: from
    /// the first of `starts` (sorted, all inside `bounds`) that has a match
    /// the guard accepts, the leftmost-first one; then again from the first
    /// start at or after its end (one token later for an empty match).
    /// Appends each match's slots to `out`, followed by the bindings of its
    /// list captures when the program logs them in slot `head`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn search_all(
        &mut self,
        cx: &Cx,
        insts: &[Inst],
        (nslots, head): (usize, Option<u32>),
        bounds: (u32, u32),
        starts: &[u32],
        memo: &mut Memo,
        guard: Guard,
        out: &mut Vec<Vec<u32>>,
    ) {
        memo.enter(bounds);
        self.log.clear();
        let width = (bounds.1 - bounds.0 + 1) as usize;
        let search = Search { insts, nslots, head, bounds, starts, reverse: false };
        if !self.pike_only && insts.len() * width <= BACKTRACK_BITS {
            backtrack(self, cx, search, memo, Some(guard), Some(out));
            return;
        }
        let mut si = 0;
        while si < starts.len() {
            let search = Search { starts: &starts[si..], ..search };
            if !run(self, cx, search, true, memo, Some(&mut *guard)) || self.exhausted() {
                return;
            }
            let slots = self.work.clone();
            let resume = slots[1].max(slots[0] + 1);
            out.push(slots);
            si += starts[si..].partition_point(|&c| c < resume);
        }
    }
}

/// What to search for: a program, its slot count, the unit's token bounds, the
/// positions a match may start at (sorted), and the direction.
#[derive(Clone, Copy)]
struct Search<'a> {
    insts: &'a [Inst],
    nslots: usize,
    /// The slot list captures are logged in.
    head: Option<u32>,
    bounds: (u32, u32),
    starts: &'a [u32],
    reverse: bool,
}

/// The most (instruction, position) pairs the backtracker keeps a visited bit
/// for: 16 MiB of bits, reused from unit to unit.
pub(crate) const BACKTRACK_BITS: usize = 1 << 27;

/// A backtracking choice still to try.
enum Choice {
    /// Continue at instruction and position.
    Step(u32, u32),
    /// Set a slot to an annotation id, then continue at instruction and position.
    Take { pc: u32, pos: u32, slot: u32, id: u32 },
    /// Put a slot's old value back.
    Restore(u32, u32),
}

/// The bounded backtracker behind [`Vm::search_all`] and context sub-programs (`reverse`: right
/// to left). Without `out` it stops at the first accepted match, leaving its slots in `vm.work`;
/// with `out` it collects every match of the unit (see the module doc for why the visited bits
/// stay valid from one start and one match to the next).
fn backtrack(
    vm: &mut Vm,
    cx: &Cx,
    search: Search,
    memo: &mut Memo,
    mut guard: Option<Guard>,
    mut out: Option<&mut Vec<Vec<u32>>>,
) -> bool {
    let Search { insts, nslots, head, bounds, starts, reverse } = search;
    let (lo, hi) = bounds;
    vm.visited.reset(insts.len(), (hi - lo + 1) as usize);
    let mut slots = std::mem::take(&mut vm.work);
    let mut choices = std::mem::take(&mut vm.choices);
    let mut found = false;
    let mut si = 0;
    'starts: while si < starts.len() {
        let start = starts[si];
        si += 1;
        slots.clear();
        slots.resize(nslots, NO_SLOT);
        choices.clear();
        choices.push(Choice::Step(0, start));
        while let Some(choice) = choices.pop() {
            let (mut pc, mut pos) = match choice {
                Choice::Restore(slot, old) => {
                    slots[slot as usize] = old;
                    continue;
                }
                Choice::Step(pc, pos) => (pc, pos),
                Choice::Take { pc, pos, slot, id } => {
                    if (slot as usize) < slots.len() {
                        choices.push(Choice::Restore(slot, slots[slot as usize]));
                        slots[slot as usize] = id;
                    }
                    (pc, pos)
                }
            };
            loop {
                if !vm.visited.insert(pc, pos - lo) {
                    break;
                }
                vm.steps += 1;
                if vm.steps > vm.limit.0 {
                    found = false;
                    break 'starts;
                }
                match insts[pc as usize] {
                    Inst::Jmp(a) => pc = a,
                    Inst::Split(a, b) => {
                        choices.push(Choice::Step(b, pos));
                        pc = a;
                    }
                    Inst::Save(s) => {
                        if (s as usize) < slots.len() {
                            choices.push(Choice::Restore(s, slots[s as usize]));
                            slots[s as usize] = pos;
                        }
                        pc += 1;
                    }
                    Inst::Log { cap, head } => {
                        if let Some(old) = log_binding(&mut vm.log, &mut slots, cap, head) {
                            choices.push(Choice::Restore(head, old));
                        }
                        pc += 1;
                    }
                    Inst::AssertStart if pos == lo => pc += 1,
                    Inst::AssertEnd if pos == hi => pc += 1,
                    Inst::AssertStart | Inst::AssertEnd => break,
                    Inst::Context { ctx, negated } => {
                        if context_holds(
                            &mut vm.sub,
                            vm.pike_only,
                            (&mut vm.steps, vm.limit.0),
                            cx,
                            ctx,
                            pos,
                            bounds,
                            memo,
                        ) == negated
                        {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::Token(t) => {
                        // Right to left, the token consumed is the one before the position.
                        let (ok, next) = if reverse { (pos > lo, pos.wrapping_sub(1)) } else { (pos < hi, pos + 1) };
                        if !ok || !test_id(cx, t, if reverse { next } else { pos } as usize) {
                            break;
                        }
                        pc += 1;
                        pos = next;
                    }
                    Inst::Match => {
                        let full = with_events(&vm.log, &slots, head);
                        if guard.as_mut().is_some_and(|g| !g(&full)) {
                            break;
                        }
                        found = true;
                        let Some(out) = out.as_mut() else { break 'starts };
                        let (ms, me) = (slots[0], slots[1]);
                        out.push(full.into_owned());
                        // The accepted path ends at `me`: its pairs there may be reached again.
                        if me > ms {
                            vm.visited.clear_column(me - lo);
                        }
                        let resume = me.max(ms + 1);
                        si += starts[si..].partition_point(|&c| c < resume);
                        continue 'starts;
                    }
                    Inst::Annot { label, cons, slot } => {
                        // In priority order, so pushed reversed: the first is tried first.
                        let mark = choices.len();
                        for (id, target) in annotations_at(cx, label, cons, pos, bounds, reverse) {
                            choices.push(Choice::Take { pc: pc + 1, pos: target, slot, id });
                        }
                        choices[mark..].reverse();
                        break;
                    }
                }
            }
        }
    }
    vm.work = slots;
    vm.choices = choices;
    found
}

/// The Pike VM. With `leftmost` it runs the main search and leaves the
/// match's slots in `vm.work`; without, it answers whether the (anchored,
/// single-start) program matches at all. A match the guard rejects lets
/// the lower-priority threads go on.
fn run(vm: &mut Vm, cx: &Cx, search: Search, leftmost: bool, memo: &mut Memo, mut guard: Option<Guard>) -> bool {
    let Search { insts, nslots, head, bounds, starts, reverse } = search;
    let (lo, hi) = bounds;
    let Some(&first) = starts.first() else { return false };
    vm.clist.reset(insts.len());
    vm.nlist.reset(insts.len());
    let mut matched = false;
    let mut best = std::mem::take(&mut vm.work);
    let mut tmp = std::mem::take(&mut vm.tmp);
    let mut next_start = 0usize;
    let mut pos = first;
    loop {
        if !matched && next_start < starts.len() && starts[next_start] == pos {
            next_start += 1;
            tmp.clear();
            tmp.resize(nslots, NO_SLOT);
            add(vm, cx, insts, &mut tmp, 0, pos, bounds, reverse, memo, true);
        }
        if vm.clist.list.is_empty() {
            if matched || next_start >= starts.len() {
                break;
            }
            vm.clist.reset(insts.len());
            pos = starts[next_start];
            continue;
        }
        let can_step = if reverse { pos > lo } else { pos < hi };
        let next = if reverse { pos.wrapping_sub(1) } else { pos + 1 };
        vm.nlist.reset(insts.len());
        let clist = std::mem::take(&mut vm.clist);
        let mut stop = false;
        vm.steps += clist.list.len() as u64 + 1;
        if vm.steps > vm.limit.0 {
            vm.clist = clist;
            matched = false;
            break;
        }
        for (k, &(pc, wait)) in clist.list.iter().enumerate() {
            let slots = &clist.slots[k * nslots..(k + 1) * nslots];
            if wait != ACTIVE {
                if wait == next {
                    tmp.clear();
                    tmp.extend_from_slice(slots);
                    add(vm, cx, insts, &mut tmp, pc, next, bounds, reverse, memo, false);
                } else {
                    vm.nlist.push(pc, wait, slots);
                }
                continue;
            }
            match insts[pc as usize] {
                Inst::Token(t) => {
                    if can_step {
                        let tok = if reverse { next } else { pos } as usize;
                        if test_id(cx, t, tok) {
                            tmp.clear();
                            tmp.extend_from_slice(slots);
                            add(vm, cx, insts, &mut tmp, pc + 1, next, bounds, reverse, memo, false);
                        }
                    }
                }
                Inst::Match => {
                    let full = with_events(&vm.log, slots, head);
                    if guard.as_mut().is_some_and(|g| !g(&full)) {
                        continue;
                    }
                    matched = true;
                    best.clear();
                    best.extend_from_slice(&full);
                    if !leftmost {
                        stop = true;
                    }
                    // Lower-priority threads (later in the list) are cut off.
                    break;
                }
                _ => unreachable!("only consuming instructions are queued"),
            }
        }
        vm.clist = clist;
        std::mem::swap(&mut vm.clist, &mut vm.nlist);
        if stop || !can_step {
            // Nothing can move further.
            if stop || matched || !leftmost || next_start >= starts.len() {
                break;
            }
            vm.clist.reset(insts.len());
            pos = starts[next_start];
            continue;
        }
        pos = next;
    }
    vm.work = best;
    vm.tmp = tmp;
    matched
}

/// The kept annotations of `label` starting at `pos` (right to left: ending there) that meet
/// constraints `cons` and stay inside `bounds`, in priority order: their ids and where they end
/// (right to left: start).
fn annotations_at<'a>(
    cx: &'a Cx,
    label: LabelId,
    cons: u32,
    pos: u32,
    bounds: (u32, u32),
    reverse: bool,
) -> impl Iterator<Item = (u32, u32)> + 'a {
    let st = &cx.labels[label.0 as usize];
    let (ids, key): (&[u32], fn(&super::Annotation) -> u32) =
        if reverse { (&st.kept_by_end, |a| a.end) } else { (&st.kept, |a| a.start) };
    let from = ids.partition_point(|&i| key(&cx.anns[i as usize]) < pos);
    ids[from..].iter().take_while(move |&&i| key(&cx.anns[i as usize]) == pos).filter_map(move |&id| {
        let a = &cx.anns[id as usize];
        let target = if reverse { a.start } else { a.end };
        ((bounds.0..=bounds.1).contains(&target) && constraints_hold(cx, id, cons)).then_some((id, target))
    })
}

/// Whether context sub-program `ctx` matches at `pos`: decided by its one-token test when it
/// has one; else memoized per position, run with `sub` as its VM, or, for a context without a
/// length bound asked about often in this unit, read from a table of the whole unit.
#[allow(clippy::too_many_arguments)]
fn context_holds(
    sub: &mut Option<Box<Vm>>,
    pike_only: bool,
    (steps, limit): (&mut u64, u64),
    cx: &Cx,
    ctx: u32,
    pos: u32,
    bounds: (u32, u32),
    memo: &mut Memo,
) -> bool {
    let context = &cx.prog.contexts[ctx as usize];
    if let Some(t) = context.one_token {
        // The token before the position (or at it, for `after`), inside the scope.
        let at = if context.reverse { pos.checked_sub(1).filter(|&p| p >= bounds.0) } else { Some(pos) };
        return at.is_some_and(|p| p < bounds.1 && test_id(cx, t, p as usize));
    }
    if context.first.as_ref().is_some_and(|f| !may_start(cx, f, pos, bounds, context.reverse)) {
        return false;
    }
    memo.enter(bounds);
    if let Some(&v) = memo.answers.get(&(ctx, pos)) {
        return v;
    }
    let mut vm = sub.take().unwrap_or_default();
    vm.pike_only = pike_only;
    vm.steps = 0;
    vm.limit = Budget(limit.saturating_sub(*steps));
    let v = match &context.mirror {
        Some(mirror) => {
            let (asked, table) = memo.tables.entry(ctx).or_default();
            *asked += 1;
            if table.is_empty() && *asked > QUESTIONS_BEFORE_TABLE {
                let t = scan_all(&mut vm, cx, mirror, bounds, !context.reverse, memo);
                memo.tables.entry(ctx).or_default().1 = t;
            }
            match memo.tables.get(&ctx) {
                Some((_, t)) if !t.is_empty() => t[(pos - bounds.0) as usize],
                _ => run_context(&mut vm, cx, &context.insts, context.reverse, pos, bounds, memo),
            }
        }
        None => run_context(&mut vm, cx, &context.insts, context.reverse, pos, bounds, memo),
    };
    *steps += std::mem::take(&mut vm.steps);
    *sub = Some(vm);
    memo.answers.insert((ctx, pos), v);
    v
}

/// Whether a program whose first element is one of `first` can take a step from `pos`: a
/// token there passes one of the tests, or an annotation of one of the labels starts there
/// (ends there, right to left). When not, it cannot match, and is not run.
fn may_start(cx: &Cx, first: &FirstSteps, pos: u32, bounds: (u32, u32), reverse: bool) -> bool {
    let token =
        if reverse { pos.checked_sub(1).filter(|&p| p >= bounds.0) } else { Some(pos).filter(|&p| p < bounds.1) };
    token.is_some_and(|p| first.tests.iter().any(|&t| test_id(cx, t, p as usize)))
        || first.labels.iter().any(|&l| annotations_at(cx, l, NO_SLOT, pos, bounds, reverse).next().is_some())
}

/// Runs a context sub-program anchored at `pos`.
fn run_context(
    vm: &mut Vm,
    cx: &Cx,
    insts: &[Inst],
    reverse: bool,
    pos: u32,
    bounds: (u32, u32),
    memo: &mut Memo,
) -> bool {
    let width = (bounds.1 - bounds.0 + 1) as usize;
    let starts = [pos];
    let search = Search { insts, nslots: 0, head: None, bounds, starts: &starts, reverse };
    if !vm.pike_only && insts.len() * width <= BACKTRACK_BITS {
        backtrack(vm, cx, search, memo, None, None)
    } else {
        run(vm, cx, search, false, memo, None)
    }
}

/// Every position of the unit where a context holds, in one pass of its
/// mirror program (`reverse`: the pass runs right to left): a thread starts at
/// every position, threads at one instruction merge, and a position is marked
/// where some thread reaches `Match`. O(instructions × tokens).
fn scan_all(vm: &mut Vm, cx: &Cx, insts: &[Inst], bounds: (u32, u32), reverse: bool, memo: &mut Memo) -> Vec<bool> {
    let (lo, hi) = bounds;
    let mut table = vec![false; (hi - lo + 1) as usize];
    vm.clist.reset(insts.len());
    vm.nlist.reset(insts.len());
    let mut tmp: Vec<u32> = Vec::new();
    let mut pos = if reverse { hi } else { lo };
    loop {
        add(vm, cx, insts, &mut tmp, 0, pos, bounds, reverse, memo, true);
        let can_step = if reverse { pos > lo } else { pos < hi };
        let next = if reverse { pos.wrapping_sub(1) } else { pos + 1 };
        vm.nlist.reset(insts.len());
        let clist = std::mem::take(&mut vm.clist);
        vm.steps += clist.list.len() as u64 + 1;
        if vm.steps > vm.limit.0 {
            vm.clist = clist;
            break;
        }
        for &(pc, wait) in &clist.list {
            if wait != ACTIVE {
                if wait == next {
                    add(vm, cx, insts, &mut tmp, pc, next, bounds, reverse, memo, false);
                } else {
                    vm.nlist.push(pc, wait, &[]);
                }
                continue;
            }
            match insts[pc as usize] {
                Inst::Token(t) => {
                    let tok = if reverse { next } else { pos } as usize;
                    if can_step && test_id(cx, t, tok) {
                        add(vm, cx, insts, &mut tmp, pc + 1, next, bounds, reverse, memo, false);
                    }
                }
                Inst::Match => table[(pos - lo) as usize] = true,
                _ => unreachable!("only consuming instructions are queued"),
            }
        }
        vm.clist = clist;
        std::mem::swap(&mut vm.clist, &mut vm.nlist);
        if !can_step {
            break;
        }
        pos = next;
    }
    table
}

/// Adds the thread at `pc` and everything reachable from it without
/// consuming a token to the current list (`into_clist`) or the next one.
#[allow(clippy::too_many_arguments)]
fn add(
    vm: &mut Vm,
    cx: &Cx,
    insts: &[Inst],
    work: &mut [u32],
    pc: u32,
    pos: u32,
    bounds: (u32, u32),
    reverse: bool,
    memo: &mut Memo,
    into_clist: bool,
) {
    let mut stack = std::mem::take(&mut vm.stack);
    stack.clear();
    stack.push(Frame::Explore(pc));
    while let Some(f) = stack.pop() {
        vm.steps += 1;
        let pc = match f {
            Frame::Restore(slot, old) => {
                work[slot as usize] = old;
                continue;
            }
            Frame::Explore(pc) => pc,
        };
        let list = if into_clist { &mut vm.clist } else { &mut vm.nlist };
        if list.seen[pc as usize] == list.generation {
            continue;
        }
        list.seen[pc as usize] = list.generation;
        match insts[pc as usize] {
            Inst::Jmp(a) => stack.push(Frame::Explore(a)),
            Inst::Split(a, b) => {
                stack.push(Frame::Explore(b));
                stack.push(Frame::Explore(a));
            }
            Inst::Save(s) => {
                if (s as usize) < work.len() {
                    stack.push(Frame::Restore(s, work[s as usize]));
                    work[s as usize] = pos;
                }
                stack.push(Frame::Explore(pc + 1));
            }
            Inst::Log { cap, head } => {
                if let Some(old) = log_binding(&mut vm.log, work, cap, head) {
                    stack.push(Frame::Restore(head, old));
                }
                stack.push(Frame::Explore(pc + 1));
            }
            Inst::AssertStart => {
                if pos == bounds.0 {
                    stack.push(Frame::Explore(pc + 1));
                }
            }
            Inst::AssertEnd => {
                if pos == bounds.1 {
                    stack.push(Frame::Explore(pc + 1));
                }
            }
            Inst::Context { ctx, negated } => {
                if context_holds(&mut vm.sub, vm.pike_only, (&mut vm.steps, vm.limit.0), cx, ctx, pos, bounds, memo)
                    != negated
                {
                    stack.push(Frame::Explore(pc + 1));
                }
            }
            Inst::Token(_) | Inst::Match => list.push(pc, ACTIVE, work),
            Inst::Annot { label, cons, slot } => {
                for (id, target) in annotations_at(cx, label, cons, pos, bounds, reverse) {
                    let old = if slot != NO_SLOT && (slot as usize) < work.len() {
                        Some(std::mem::replace(&mut work[slot as usize], id))
                    } else {
                        None
                    };
                    list.push(pc + 1, target, work);
                    if let Some(old) = old {
                        work[slot as usize] = old;
                    }
                }
            }
        }
    }
    vm.stack = stack;
}
