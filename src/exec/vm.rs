//! The Pike VM over tokens.
//!
//! Threads advance in lockstep, one token per step, in priority order; two
//! threads at the same instruction and position are merged (the first wins),
//! so a step costs at most one visit per instruction and a search is linear
//! in the tokens. An annotation reference spans several tokens: the thread
//! that takes it waits, still in its place in the priority order, until the
//! step where the annotation ends. Context sub-programs (`before`/`after`) run
//! anchored at the position asked about, right to left for `before`, and
//! their answers are memoized per position. The main search of a sentence-sized
//! unit uses a bounded backtracker instead, which finds the same match.

use super::{constraints_hold, test_id, Cx};
use crate::check::hir::LabelId;
use crate::compile::{Inst, NO_SLOT};
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
    visited: Vec<u64>,
    /// The backtracker's choices still to try.
    choices: Vec<Choice>,
    /// Search with the Pike VM only (to test the two engines against each other).
    pub(crate) pike_only: bool,
}

impl Vm {
    /// Finds the leftmost-first match starting at one of `starts` (sorted, all
    /// inside `bounds`), scanning forward. Returns the match's slots.
    ///
    /// Units small enough for a visited bit per (instruction, position) are
    /// searched by a bounded backtracker (depth first in priority order, each
    /// pair explored once: the same match as the Pike VM, and still linear);
    /// larger ones by the Pike VM.
    pub(crate) fn search(
        &mut self,
        cx: &Cx,
        insts: &[Inst],
        nslots: usize,
        bounds: (u32, u32),
        starts: &[u32],
        memo: &mut FxHashMap<(u32, u32), bool>,
    ) -> Option<Vec<u32>> {
        let width = (bounds.1 - bounds.0 + 1) as usize;
        let search = Search { insts, nslots, bounds, starts, reverse: false };
        let found = if !self.pike_only && insts.len() * width <= BACKTRACK_BITS {
            backtrack(self, cx, search, memo)
        } else {
            run(self, cx, search, true, memo)
        };
        found.then(|| self.work.clone())
    }
}

/// What to search for: a program, its slot count, the unit's token bounds, the
/// positions a match may start at (sorted), and the direction.
#[derive(Clone, Copy)]
struct Search<'a> {
    insts: &'a [Inst],
    nslots: usize,
    bounds: (u32, u32),
    starts: &'a [u32],
    reverse: bool,
}

/// The most (instruction, position) pairs the backtracker keeps a visited bit for.
const BACKTRACK_BITS: usize = 1 << 18;

/// A backtracking choice still to try.
enum Choice {
    /// Continue at instruction and position.
    Step(u32, u32),
    /// Set a slot to an annotation id, then continue at instruction and position.
    Take { pc: u32, pos: u32, slot: u32, id: u32 },
    /// Put a slot's old value back.
    Restore(u32, u32),
}

/// The bounded backtracker behind [`Vm::search`] and context sub-programs (`reverse`: right
/// to left): leaves the match's slots in `vm.work`.
fn backtrack(vm: &mut Vm, cx: &Cx, search: Search, memo: &mut FxHashMap<(u32, u32), bool>) -> bool {
    let Search { insts, nslots, bounds, starts, reverse } = search;
    let (lo, hi) = bounds;
    let width = (hi - lo + 1) as usize;
    let visited = &mut vm.visited;
    visited.clear();
    visited.resize((insts.len() * width).div_ceil(64), 0);
    let mut slots = std::mem::take(&mut vm.work);
    let mut choices = std::mem::take(&mut vm.choices);
    let mut found = false;
    'starts: for &start in starts {
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
                let bit = pc as usize * width + (pos - lo) as usize;
                if visited[bit / 64] & (1 << (bit % 64)) != 0 {
                    break;
                }
                visited[bit / 64] |= 1 << (bit % 64);
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
                    Inst::AssertStart if pos == lo => pc += 1,
                    Inst::AssertEnd if pos == hi => pc += 1,
                    Inst::AssertStart | Inst::AssertEnd => break,
                    Inst::Context { ctx, negated } => {
                        if context_holds(&mut vm.sub, vm.pike_only, cx, ctx, pos, bounds, memo) == negated {
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
                        found = true;
                        break 'starts;
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

/// The shared engine. With `leftmost` it runs the main search and leaves the
/// match's slots in `vm.work`; without, it answers whether the (anchored,
/// single-start) program matches at all.
fn run(vm: &mut Vm, cx: &Cx, search: Search, leftmost: bool, memo: &mut FxHashMap<(u32, u32), bool>) -> bool {
    let Search { insts, nslots, bounds, starts, reverse } = search;
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
                    matched = true;
                    best.clear();
                    best.extend_from_slice(slots);
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
/// has one, else run (with `sub` as its VM) and memoized per position.
fn context_holds(
    sub: &mut Option<Box<Vm>>,
    pike_only: bool,
    cx: &Cx,
    ctx: u32,
    pos: u32,
    bounds: (u32, u32),
    memo: &mut FxHashMap<(u32, u32), bool>,
) -> bool {
    let context = &cx.prog.contexts[ctx as usize];
    if let Some(t) = context.one_token {
        // The token before the position (or at it, for `after`), inside the scope.
        let at = if context.reverse { pos.checked_sub(1).filter(|&p| p >= bounds.0) } else { Some(pos) };
        return at.is_some_and(|p| p < bounds.1 && test_id(cx, t, p as usize));
    }
    if let Some(&v) = memo.get(&(ctx, pos)) {
        return v;
    }
    let mut vm = sub.take().unwrap_or_default();
    vm.pike_only = pike_only;
    let width = (bounds.1 - bounds.0 + 1) as usize;
    let starts = [pos];
    let search = Search { insts: &context.insts, nslots: 0, bounds, starts: &starts, reverse: context.reverse };
    let v = if !pike_only && context.insts.len() * width <= BACKTRACK_BITS {
        backtrack(&mut vm, cx, search, memo)
    } else {
        run(&mut vm, cx, search, false, memo)
    };
    *sub = Some(vm);
    memo.insert((ctx, pos), v);
    v
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
    memo: &mut FxHashMap<(u32, u32), bool>,
    into_clist: bool,
) {
    let mut stack = std::mem::take(&mut vm.stack);
    stack.clear();
    stack.push(Frame::Explore(pc));
    while let Some(f) = stack.pop() {
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
                if context_holds(&mut vm.sub, vm.pike_only, cx, ctx, pos, bounds, memo) != negated {
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
