//! The page's state: one [`Model`] that owns the simulation, changed only by [`Action`]s.
//!
//! Everything the user does, and every animation frame, becomes an `Action`. The reducer is the
//! only code that mutates the simulation: it advances virtual time, seeks, adds schedule entries
//! through [`Simulation::act`] and restarts runs. Components receive plain data derived from the
//! model and a dispatcher, never the simulation itself.
//!
//! The page holds the model with `use_reducer_eq`: it re-renders only when the new model differs
//! from the old by [`Model`]'s `PartialEq`, which leaves out what a frame moves but the page need
//! not show at once (the bookkeeping of the clock, the timeline's right end). While playing, a
//! frame re-renders the page only when something it shows changed ([`ViewKey`]: a node's role,
//! log position or lag, a cut, an anomaly, a caption) or when the continuously moving readouts
//! (the clock, the scrubber, lag ages) are due ([`READOUT_MS`]); messages move on the canvas
//! every frame without Yew (see `anim`). A paused page costs nothing per frame.

use crate::compare::{Cause, Variant};
use crate::embed::Embed;
use replica_engine::scenario::{
    Action as SimAction, Config, Leaderless, MultiLeader, Scenario, Strategy, SyncMode, View,
};
use replica_engine::types::{NodeId, Time, MS};
use replica_engine::{Simulation, TraceKind};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The simulation, shared read-only with the animation loop and `window.replicaLab`.
pub type SharedSim = Rc<RefCell<Simulation>>;

/// Slowest and fastest playback, in virtual time per wall-clock time.
pub const MIN_SPEED: f64 = 0.01;
pub const MAX_SPEED: f64 = 10.0;
/// Default playback: a 40 ms message takes about two thirds of a second on screen.
pub const DEFAULT_SPEED: f64 = 0.06;
/// How often, at most, the heavier panels (log, inspector, results) refresh while playing.
const SLOW_REFRESH_MS: f64 = 200.0;
/// How often the readouts that move every frame while playing (the clock, the scrubber, how long
/// a follower has lagged) are brought up to date, in wall-clock milliseconds. Changing text every
/// frame costs a layout, a paint and a commit of the page per frame; ten times a second is
/// enough to read a clock by. Anything discrete (a role, a log position, a crash) shows at once.
pub const READOUT_MS: f64 = 100.0;
/// Most followers per region the controls offer (multi-leader).
pub const MAX_FOLLOWERS: u16 = 2;
/// How long a notice stays up, in wall-clock milliseconds.
const NOTICE_MS: f64 = 6000.0;
/// How long a caption stays on the stage, in virtual time.
pub const CAPTION_FOR: Time = 4000 * MS;

/// What is selected in the cluster view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    Node(NodeId),
    /// A pair of nodes, smaller id first.
    Link(NodeId, NodeId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Controls,
    Inspector,
    Results,
    /// Metrics, linearizability, charts and sweeps (components/consistency.rs).
    Consistency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Fault,
    Role,
    Anomaly,
    Setting,
    /// An author's note in the scenario ("the leader crashes here").
    Caption,
}

impl MarkKind {
    pub fn class(self) -> &'static str {
        match self {
            MarkKind::Fault => "fault",
            MarkKind::Role => "role",
            MarkKind::Anomaly => "anomaly",
            MarkKind::Setting => "setting",
            MarkKind::Caption => "caption",
        }
    }
}

/// A point of interest on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub t: Time,
    pub kind: MarkKind,
    pub text: String,
}

/// A message under the pointer (or tapped), with where to show its label, in stage pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hover {
    pub id: u64,
    pub x: f64,
    pub y: f64,
    pub pinned: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    /// Wall-clock time (performance.now) after which it disappears.
    pub until: f64,
    pub warn: bool,
}

/// A dialog over the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialog {
    /// The link, the embed snippet, exports and import.
    Share,
    /// The preset scenarios.
    Gallery,
}

/// A scenario to open, with the moment and view to land on (from a link, a preset, a file).
#[derive(Clone, Debug, PartialEq)]
pub struct Load {
    pub scenario: Scenario,
    pub view: View,
    /// Something to tell the reader (a bad link, and what was shown instead).
    pub banner: Option<String>,
    /// The browser's address already holds this state (back/forward, a typed or clicked link):
    /// no new history entry.
    pub from_url: bool,
    /// Start playing once loaded (embeds with `autoplay`).
    pub play: bool,
}

/// The three replication strategies, as the switch at the top of the controls names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    SingleLeader,
    MultiLeader,
    Leaderless,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::SingleLeader, Kind::MultiLeader, Kind::Leaderless];

    pub fn of(s: &Strategy) -> Kind {
        match s {
            Strategy::SingleLeader(_) => Kind::SingleLeader,
            Strategy::MultiLeader(_) => Kind::MultiLeader,
            Strategy::Leaderless(_) => Kind::Leaderless,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::SingleLeader => "Single-leader",
            Kind::MultiLeader => "Multi-leader",
            Kind::Leaderless => "Leaderless",
        }
    }

    /// The strategy with the page's defaults, and how many nodes it starts with: three nodes
    /// with one leader; three regions of one leader each, all-to-all, last write wins; five
    /// equal replicas with N=3, W=2, R=2 and read repair.
    pub fn default_strategy(self) -> (Strategy, u16) {
        match self {
            Kind::SingleLeader => (Strategy::SingleLeader(Default::default()), 3),
            Kind::MultiLeader => {
                let ml = MultiLeader::default();
                let n = ml.nodes();
                (Strategy::MultiLeader(ml), n)
            }
            Kind::Leaderless => (Strategy::Leaderless(Leaderless::default()), 5),
        }
    }
}

/// A setting that is part of the run's configuration rather than a schedule action: changing it
/// starts the run over (with the same seed and workload, so runs stay comparable).
#[derive(Clone, Debug, PartialEq)]
pub enum Restart {
    Same,
    Nodes(u16),
    Fencing(bool),
    Seed(u64),
    /// Switch to another strategy, with its defaults.
    Kind(Kind),
    /// The same strategy with other settings (regions, topology, N, resolution...).
    Strategy(Strategy),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// An animation frame: `dt` wall-clock milliseconds passed; `wall` is performance.now().
    Tick {
        dt: f64,
        wall: f64,
    },
    Play,
    Pause,
    TogglePlay,
    SetSpeed(f64),
    /// Process exactly one event.
    Step,
    /// Move to a virtual time (backwards or forwards); pauses when asked.
    Seek {
        t: Time,
        pause: bool,
    },
    /// Move back by this much virtual time.
    Back(Time),
    /// A schedule entry at the current moment.
    Act(SimAction),
    Restart(Restart),
    Select(Option<Selection>),
    Tab(Tab),
    Hover(Option<Hover>),
    DismissNotice,
    Help(bool),
    LogMask(u8),
    /// Show only events that involve this node in the event log (or all).
    LogNode(Option<NodeId>),
    /// Show where a key lives (leaderless: its N home replicas), or stop showing it.
    FocusKey(Option<String>),
    /// Show the space-time diagram instead of the cluster picture, or go back.
    Diagram(bool),
    /// Replace the run with another scenario (a link, a preset, an imported file).
    Load(Box<Load>),
    /// Show or dismiss the banner at the top of the page.
    Banner(Option<String>),
    /// Open a dialog, or close the one open.
    Dialog(Option<Dialog>),
    /// Run the same scenario under another setting beside this one, or close the comparison.
    Compare(Option<Variant>),
    /// Highlight what caused an anomaly (and go to its moment, with the diagram), or stop.
    Cause(Option<Box<Cause>>),
}

/// A click handler that dispatches `action`. One shared closure type for every button keeps the
/// bundle small: each distinct closure costs its own glue code.
pub fn on_click(d: &UseReducerDispatcher<Model>, action: Action) -> Callback<MouseEvent> {
    let d = d.clone();
    Callback::from(move |_: MouseEvent| d.dispatch(action.clone()))
}

#[derive(Clone)]
pub struct Model {
    pub sim: SharedSim,
    pub playing: bool,
    pub speed: f64,
    /// Virtual microseconds owed to the engine but smaller than one.
    carry: f64,
    /// The latest virtual time reached in this branch of the run (the timeline's right end).
    pub max_time: Time,
    /// Changes whenever the heavier panels should refresh.
    pub slow_rev: u64,
    since_slow: f64,
    /// Changes whenever a frame should re-render the page (see [`ViewKey`]).
    pub view_rev: u64,
    since_view: f64,
    /// What the page showed at its last render while playing.
    shown: Rc<ViewKey>,
    /// Changes whenever the nodes' state changed in a way the picture shows at once (not their
    /// lag ages), or after any action.
    pub nodes_rev: u64,
    pub selected: Option<Selection>,
    pub tab: Tab,
    pub hover: Option<Hover>,
    pub notice: Option<Notice>,
    pub help: bool,
    /// The space-time diagram is shown instead of the cluster picture.
    pub diagram: bool,
    pub log_mask: u8,
    pub log_node: Option<NodeId>,
    /// A key the reader is looking at (typed in the client form or clicked in the inspector).
    pub focus_key: Option<String>,
    pub marks: Rc<Vec<Mark>>,
    /// Trace events before this absolute position (`Simulation::trace_start()` + index in the
    /// kept trace, so that it still means the same event after the oldest are dropped) have
    /// been looked at for marks...
    scanned: usize,
    /// ...and marks exist for everything up to this time.
    marks_until: Time,
    /// Last wall-clock time seen, for notices created by user actions.
    wall: f64,
    /// Changes whenever the scenario (configuration, seed, schedule) changes: a new state the
    /// browser's back button can return to.
    pub scen_rev: u64,
    /// The latest scenario came from the address bar (no new history entry for it).
    pub from_url: bool,
    /// A message across the top of the page (e.g. why a link could not be opened).
    pub banner: Option<String>,
    pub dialog: Option<Dialog>,
    /// Set when the page runs inside an iframe (`?embed`); fixed for the page's life.
    pub embed: Option<Rc<Embed>>,
    /// The twin run shown beside this one, kept at the same moment (see `compare`).
    pub compare: Option<Twin>,
    /// The anomaly whose cause is highlighted.
    pub cause: Option<Rc<Cause>>,
}

/// The run under another setting, shown beside the main one.
#[derive(Clone)]
pub struct Twin {
    pub variant: Variant,
    pub sim: SharedSim,
}

impl PartialEq for Twin {
    fn eq(&self, other: &Self) -> bool {
        self.variant == other.variant && Rc::ptr_eq(&self.sim, &other.sim)
    }
}

impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sim, &other.sim)
            && self.playing == other.playing
            && self.speed == other.speed
            && self.view_rev == other.view_rev
            && self.slow_rev == other.slow_rev
            && self.selected == other.selected
            && self.tab == other.tab
            && self.hover == other.hover
            && self.notice == other.notice
            && self.help == other.help
            && self.diagram == other.diagram
            && self.log_mask == other.log_mask
            && self.log_node == other.log_node
            && self.focus_key == other.focus_key
            && Rc::ptr_eq(&self.marks, &other.marks)
            && self.scen_rev == other.scen_rev
            && self.banner == other.banner
            && self.dialog == other.dialog
            && self.compare == other.compare
            && self.cause == other.cause
    }
}

impl Model {
    pub fn new(sim: Simulation, playing: bool) -> Self {
        Model {
            sim: Rc::new(RefCell::new(sim)),
            playing,
            speed: DEFAULT_SPEED,
            carry: 0.0,
            max_time: 0,
            slow_rev: 0,
            since_slow: 0.0,
            view_rev: 0,
            since_view: 0.0,
            shown: Rc::new(ViewKey::default()),
            nodes_rev: 0,
            selected: None,
            tab: Tab::Controls,
            hover: None,
            notice: None,
            help: false,
            diagram: false,
            log_mask: crate::words::Category::DEFAULT_MASK,
            log_node: None,
            focus_key: None,
            marks: Rc::new(Vec::new()),
            scanned: 0,
            marks_until: 0,
            wall: 0.0,
            scen_rev: 0,
            from_url: false,
            banner: None,
            dialog: None,
            embed: None,
            compare: None,
            cause: None,
        }
    }

    /// A model landed on `view` of `scenario` (paused unless `load.play`).
    pub fn loaded(load: Load, embed: Option<Rc<Embed>>) -> Self {
        let mut m = Model::new(Simulation::new(Scenario::default()), false);
        m.embed = embed;
        m.load(load);
        m
    }

    /// The page's first run.
    pub fn initial(playing: bool) -> Self {
        Model::new(Simulation::new(Scenario::default()), playing)
    }

    pub fn now(&self) -> Time {
        self.sim.borrow().now()
    }

    /// The wall-clock time (performance.now()) of the latest frame.
    pub fn wall(&self) -> f64 {
        self.wall
    }

    fn notify(&mut self, text: String, warn: bool) {
        self.notice = Some(Notice {
            text,
            until: self.wall + NOTICE_MS,
            warn,
        });
    }

    /// After the simulation moved: extend the timeline and collect new marks.
    fn after_move(&mut self) {
        let sim = self.sim.borrow();
        self.max_time = self.max_time.max(sim.now());
        let trace = sim.trace();
        let start = sim.trace_start();
        let end = start + trace.len();
        // A seek backwards truncated the trace, or one restarted it after the events not yet
        // looked at (those are before `marks_until`, marked already).
        self.scanned = self.scanned.clamp(start, end);
        let mut marks: Option<Vec<Mark>> = None;
        for e in &trace[self.scanned - start..] {
            if e.t < self.marks_until {
                continue; // Replayed after a seek: already marked.
            }
            let Some((kind, text)) = mark_of(&e.kind) else {
                continue;
            };
            let list = marks.get_or_insert_with(|| (*self.marks).clone());
            // One mark per kind and moment: a partition cuts many links at once.
            let dup = list
                .iter()
                .rev()
                .take_while(|m| m.t == e.t)
                .any(|m| m.kind == kind);
            if !dup {
                list.push(Mark { t: e.t, kind, text });
            }
        }
        self.scanned = end;
        self.marks_until = self.marks_until.max(sim.now());
        let now = sim.now();
        drop(sim);
        if let Some(m) = marks {
            self.marks = Rc::new(m);
        }
        self.sync_twin(now);
    }

    /// Brings the twin run to `now`, forwards or backwards.
    fn sync_twin(&self, now: Time) {
        if let Some(t) = &self.compare {
            let mut twin = t.sim.borrow_mut();
            if twin.now() < now {
                twin.run_until(now);
            } else if twin.now() > now {
                twin.seek(now);
            }
        }
    }

    /// A new twin of the main run's scenario (after a restart or a load), or none when its
    /// setting does not apply to the new strategy.
    fn rebuild_twin(&mut self) {
        let Some(old) = self.compare.take() else {
            return;
        };
        let sim = self.sim.borrow();
        let strategy = &sim.config().strategy;
        let variant = if old.variant.fits(strategy) {
            Some(old.variant)
        } else {
            crate::compare::options(strategy, sim.config().nodes)
                .first()
                .copied()
        };
        let twin = variant.map(|variant| Twin {
            variant,
            sim: Rc::new(RefCell::new(crate::compare::twin(sim.scenario(), variant))),
        });
        drop(sim);
        self.compare = twin;
    }

    /// Opens (or changes, or closes) the comparison.
    fn set_compare(&mut self, v: Option<Variant>) {
        self.compare = v.map(|variant| {
            let sim = self.sim.borrow();
            Twin {
                variant,
                sim: Rc::new(RefCell::new(crate::compare::twin(sim.scenario(), variant))),
            }
        });
        let now = self.now();
        self.sync_twin(now);
    }

    /// The run branched at `now`: whatever had been seen after it no longer exists.
    fn fork_at(&mut self, now: Time) {
        self.max_time = now;
        self.marks_until = now;
        if self.marks.iter().any(|m| m.t > now) {
            self.marks = Rc::new(self.marks.iter().filter(|m| m.t <= now).cloned().collect());
        }
    }

    fn act(&mut self, action: SimAction) {
        let (now, dropped) = {
            let mut sim = self.sim.borrow_mut();
            let now = sim.now();
            let dropped = sim.act(action.clone());
            // The entry sits 1 µs after now; run to it so a paused page shows the effect at once.
            sim.run_until(now + 1);
            (now, dropped)
        };
        // The twin gets the same action at the same moment, unless it changes the very setting
        // the twin differs in: then it is rebuilt from the main scenario, which leaves that
        // action out (so later entries are dropped the same way on both).
        if let Some(t) = &self.compare {
            self.sync_twin(now);
            if t.variant.touches(&action) {
                let main = self.sim.borrow();
                *t.sim.borrow_mut() = crate::compare::twin(main.scenario(), t.variant);
            } else {
                t.sim.borrow_mut().act(action);
            }
        }
        self.scen_rev += 1;
        self.from_url = false;
        let forked = now < self.max_time;
        if forked {
            self.fork_at(now);
        }
        if dropped > 0 {
            let s = if dropped == 1 { "" } else { "s" };
            self.notify(
                format!("{dropped} later action{s} dropped: you changed the past"),
                true,
            );
        } else if forked {
            self.notify(
                "You acted in the past: the run continues from here on a new branch".into(),
                false,
            );
        }
        self.after_move();
    }

    /// Everything derived from the run so far is forgotten (a new scenario).
    fn reset_run(&mut self) {
        self.max_time = 0;
        self.carry = 0.0;
        self.marks = Rc::new(Vec::new());
        self.scanned = 0;
        self.marks_until = 0;
        self.hover = None;
        self.scen_rev += 1;
        self.from_url = false;
        self.cause = None;
        self.rebuild_twin();
    }

    fn load(&mut self, load: Load) {
        let Load {
            scenario,
            view,
            banner,
            from_url,
            play,
        } = load;
        let n = scenario.config.nodes;
        *self.sim.borrow_mut() = Simulation::new(scenario);
        self.reset_run();
        self.from_url = from_url;
        self.banner = banner;
        self.dialog = None;
        self.notice = None;
        let at = view.at.unwrap_or(0).min(replica_engine::scenario::MAX_TIME);
        self.sim.borrow_mut().run_until(at);
        self.selected = view.node.filter(|&x| x < n).map(Selection::Node);
        if self.selected.is_some() {
            self.tab = Tab::Inspector;
        }
        self.diagram = view.diagram;
        if let Some(s) = view.speed.filter(|s| s.is_finite()) {
            self.speed = s.clamp(MIN_SPEED, MAX_SPEED);
        }
        self.playing = play;
        self.after_move();
    }

    /// What the reader is looking at, for a link: the moment, the selected node, the view and
    /// the speed.
    pub fn view(&self) -> View {
        View {
            at: Some(self.now()),
            node: match self.selected {
                Some(Selection::Node(n)) => Some(n),
                _ => None,
            },
            diagram: self.diagram,
            speed: (self.speed != DEFAULT_SPEED).then_some(self.speed),
        }
    }

    /// The caption to show now: the latest one at or before now, for a few seconds.
    pub fn caption(&self) -> Option<&Mark> {
        let now = self.now();
        // Marks are in time order: only the last few seconds before now are looked at.
        self.marks
            .iter()
            .rev()
            .skip_while(|m| m.t > now)
            .take_while(|m| now - m.t <= CAPTION_FOR)
            .find(|m| m.kind == MarkKind::Caption)
    }

    fn restart(&mut self, what: Restart) {
        let (scenario, text) = {
            let sim = self.sim.borrow();
            restarted(
                sim.config(),
                sim.nodes().len() as u16,
                sim.scenario().seed,
                what,
            )
        };
        *self.sim.borrow_mut() = Simulation::new(scenario);
        self.reset_run();
        if let Some(Selection::Node(n)) = self.selected {
            if n as usize >= self.sim.borrow().nodes().len() {
                self.selected = None;
            }
        }
        if matches!(self.selected, Some(Selection::Link(..))) {
            self.selected = None;
        }
        self.notify(text, false);
        self.after_move();
    }
}

/// A new scenario from the current configuration with one setting changed, and a notice for it.
pub fn restarted(cfg: &Config, nodes: u16, seed: u64, what: Restart) -> (Scenario, String) {
    let mut config = cfg.clone();
    config.nodes = nodes.max(1);
    let mut seed = seed;
    let text = match what.clone() {
        Restart::Same => "Started over".to_string(),
        Restart::Nodes(n) => {
            let n = n.clamp(1, replica_engine::scenario::MAX_NODES);
            config.nodes = n;
            format!(
                "Started over with {n} node{}",
                if n == 1 { "" } else { "s" }
            )
        }
        Restart::Fencing(on) => {
            if let Strategy::SingleLeader(sl) = &mut config.strategy {
                sl.fencing = on;
            }
            format!(
                "Started over with fencing {}",
                if on { "on" } else { "off" }
            )
        }
        Restart::Seed(s) => {
            seed = s;
            format!("Started over with seed {s}")
        }
        Restart::Kind(k) => {
            let (strategy, n) = k.default_strategy();
            config.strategy = strategy;
            config.nodes = n;
            format!(
                "Started over: {}",
                crate::words::strategy_summary(&config.strategy, n)
            )
        }
        Restart::Strategy(s) => {
            config.strategy = s;
            "Started over".to_string()
        }
    };
    // Multi-leader fixes the node count; leaderless quorums cannot exceed the cluster.
    match &mut config.strategy {
        Strategy::MultiLeader(ml) => {
            ml.regions = ml.regions.clamp(1, 8);
            ml.followers = ml.followers.min(MAX_FOLLOWERS);
            config.nodes = ml.nodes();
        }
        Strategy::Leaderless(l) => {
            l.n = l.n.clamp(1, config.nodes);
            l.w = l.w.clamp(1, l.n);
            l.r = l.r.clamp(1, l.n);
        }
        Strategy::SingleLeader(_) => {}
    }
    let text = if text == "Started over" && matches!(what, Restart::Strategy(_)) {
        format!(
            "Started over: {}",
            crate::words::strategy_summary(&config.strategy, config.nodes)
        )
    } else {
        text
    };
    let n = config.nodes;
    // Settings that name nodes which no longer exist are dropped.
    config.clocks.retain(|&k, _| k < n);
    config.net.links.retain(|&(a, b), _| a < n && b < n);
    if let Some(w) = &mut config.workload {
        if matches!(w.read_from, replica_engine::scenario::ReadFrom::Node(x) if x >= n) {
            w.read_from = replica_engine::scenario::ReadFrom::Nearest;
        }
    }
    if let Strategy::MultiLeader(ml) = &mut config.strategy {
        if let SyncMode::SemiSync { k } = ml.local_mode {
            ml.local_mode = if ml.followers == 0 {
                SyncMode::Async
            } else {
                SyncMode::SemiSync {
                    k: k.clamp(1, ml.followers),
                }
            };
        }
    }
    if let Strategy::SingleLeader(sl) = &mut config.strategy {
        if let SyncMode::SemiSync { k } = sl.mode {
            sl.mode = if n < 2 {
                SyncMode::Async
            } else {
                SyncMode::SemiSync { k: k.min(n - 1) }
            };
        }
    }
    (
        Scenario {
            config,
            seed,
            schedule: Vec::new(),
            duration: None,
        },
        text,
    )
}

/// Which trace events get a mark on the timeline.
pub fn mark_of(kind: &TraceKind) -> Option<(MarkKind, String)> {
    Some(match kind {
        TraceKind::Crashed { node } => (MarkKind::Fault, format!("n{node} crashed")),
        TraceKind::Restarted { node } => (MarkKind::Fault, format!("n{node} restarted")),
        TraceKind::NodeAdded { node } => (MarkKind::Fault, format!("n{node} joined")),
        TraceKind::LinkCut { .. } => (MarkKind::Fault, "links cut".into()),
        TraceKind::LinkHealed { .. } => (MarkKind::Fault, "links healed".into()),
        TraceKind::Role { node, role, epoch } if role.name() == "leader" && *epoch > 0 => (
            MarkKind::Role,
            format!("n{node} became leader of epoch {epoch}"),
        ),
        TraceKind::Anomaly { .. } => (MarkKind::Anomaly, "anomaly".into()),
        TraceKind::Config { text } => (MarkKind::Setting, text.clone()),
        TraceKind::Caption { text } => (MarkKind::Caption, text.clone()),
        _ => return None,
    })
}

/// What the page shows of the run besides the readouts, for deciding whether a frame changed it:
/// the nodes (role, up, epoch, whom they follow, sync, regions, hints and, where the picture
/// writes them, log positions and how many entries behind; never their clocks or how long they
/// have lagged, which move every frame), the clients, the cuts, the followers' mode, the count of
/// anomalies and the caption on screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewKey {
    nodes: Vec<replica_engine::sim::NodeSnapshot>,
    clients: usize,
    cut: Vec<(NodeId, NodeId)>,
    mode: String,
    anomalies: usize,
    caption: Option<Time>,
}

impl ViewKey {
    fn of(m: &Model) -> Self {
        let sim = m.sim.borrow();
        let snap = sim.snapshot();
        // A dense picture (more than 9 nodes) writes neither log positions nor lags beside its
        // nodes, only whether they lag (their labels are readouts).
        let dense = snap.nodes.len() > crate::components::cluster::DETAILED_MAX;
        let mut nodes = snap.nodes;
        for n in &mut nodes {
            n.clock_us = 0;
            n.lag_us = 0;
            if dense {
                n.lag = n.lag.min(1);
                n.last_lsn = 0;
            }
        }
        ViewKey {
            nodes,
            clients: snap.clients.len(),
            cut: snap.cut,
            mode: snap.mode,
            anomalies: sim.anomalies().end() as usize,
            caption: m.caption().map(|c| c.t),
        }
    }
}

impl Reducible for Model {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut m = (*self).clone();
        match action {
            Action::Tick { dt, wall } => {
                m.wall = wall;
                let expired = m.notice.as_ref().is_some_and(|n| wall >= n.until);
                if expired {
                    m.notice = None;
                }
                if !m.playing {
                    return if expired { Rc::new(m) } else { self };
                }
                let owed = m.speed * dt * MS as f64 + m.carry;
                let whole = owed.floor();
                m.carry = owed - whole;
                {
                    let mut sim = m.sim.borrow_mut();
                    let mut t = (sim.now() + whole as Time).min(replica_engine::scenario::MAX_TIME);
                    // An embed plays between its start and end moments, once or in a loop.
                    let bounds = m
                        .embed
                        .as_ref()
                        .and_then(|e| Some((e.end?, e.looping, e.start())));
                    if let Some((end, looping, start)) = bounds {
                        if t >= end {
                            t = end;
                            if !looping {
                                m.playing = false;
                            } else if sim.now() >= end {
                                sim.seek(start.min(end));
                                t = sim.now();
                            }
                        }
                    }
                    sim.run_until(t);
                }
                m.after_move();
                m.since_slow += dt;
                m.since_view += dt;
                if m.since_slow >= SLOW_REFRESH_MS {
                    m.since_slow = 0.0;
                    m.slow_rev += 1;
                }
                // The diagram, the twin picture and a message's label follow the clock every
                // frame; otherwise the page re-renders when what it shows changed, or for the
                // readouts.
                let key = ViewKey::of(&m);
                let changed = key != *m.shown;
                if changed {
                    m.nodes_rev += 1;
                }
                if m.diagram
                    || m.compare.is_some()
                    || m.hover.is_some()
                    || m.since_view >= READOUT_MS
                    || changed
                {
                    m.since_view = 0.0;
                    m.view_rev += 1;
                    m.shown = Rc::new(key);
                }
                return Rc::new(m);
            }
            Action::Play => m.playing = true,
            Action::Pause => m.playing = false,
            Action::TogglePlay => m.playing = !m.playing,
            Action::SetSpeed(s) => {
                if s.is_finite() {
                    m.speed = s.clamp(MIN_SPEED, MAX_SPEED);
                }
            }
            Action::Step => {
                m.playing = false;
                m.sim.borrow_mut().step();
                m.carry = 0.0;
                m.after_move();
            }
            Action::Seek { t, pause } => {
                if pause {
                    m.playing = false;
                }
                m.sim
                    .borrow_mut()
                    .seek(t.min(replica_engine::scenario::MAX_TIME));
                m.carry = 0.0;
                m.after_move();
            }
            Action::Back(d) => {
                m.playing = false;
                let t = m.now().saturating_sub(d);
                m.sim.borrow_mut().seek(t);
                m.carry = 0.0;
                m.after_move();
            }
            Action::Act(a) => m.act(a),
            Action::Restart(r) => m.restart(r),
            Action::Select(s) => {
                m.selected = s;
                if s.is_some() {
                    m.tab = Tab::Inspector;
                }
            }
            Action::Tab(t) => m.tab = t,
            Action::Hover(h) => {
                if m.hover == h {
                    return self;
                }
                m.hover = h;
                return Rc::new(m);
            }
            Action::DismissNotice => m.notice = None,
            Action::Help(on) => m.help = on,
            Action::Diagram(on) => m.diagram = on,
            Action::LogMask(mask) => m.log_mask = mask,
            Action::LogNode(n) => m.log_node = n,
            Action::FocusKey(k) => {
                if m.focus_key == k {
                    return self;
                }
                m.focus_key = k;
            }
            Action::Load(l) => m.load(*l),
            Action::Banner(b) => m.banner = b,
            Action::Dialog(d) => {
                m.dialog = d;
                if d.is_some() {
                    m.help = false;
                }
                // A link names the moment on screen: sharing holds it still.
                if d == Some(Dialog::Share) {
                    m.playing = false;
                }
            }
            Action::Compare(v) => m.set_compare(v),
            Action::Cause(c) => {
                if let Some(c) = &c {
                    m.playing = false;
                    m.diagram = true;
                    m.sim
                        .borrow_mut()
                        .seek(c.t.min(replica_engine::scenario::MAX_TIME));
                    m.carry = 0.0;
                    m.after_move();
                }
                m.cause = c.map(|c| Rc::new(*c));
            }
        }
        m.slow_rev += 1;
        m.nodes_rev += 1;
        Rc::new(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(m: Rc<Model>, a: Action) -> Rc<Model> {
        m.reduce(a)
    }

    #[test]
    fn ticks_advance_virtual_time_by_speed() {
        let m = Rc::new(Model::initial(true));
        let m = reduce(m, Action::SetSpeed(0.5));
        let m = reduce(
            m,
            Action::Tick {
                dt: 100.0,
                wall: 0.0,
            },
        );
        assert_eq!(m.now(), 50 * MS);
        assert_eq!(m.max_time, 50 * MS);
        // Paused: the same model comes back, so nothing re-renders.
        let p = reduce(m, Action::Pause);
        let q = reduce(
            p.clone(),
            Action::Tick {
                dt: 100.0,
                wall: 1.0,
            },
        );
        assert!(Rc::ptr_eq(&p, &q));
    }

    #[test]
    fn acting_in_the_past_forks_and_says_so() {
        let m = Rc::new(Model::initial(false));
        let m = reduce(
            m,
            Action::Seek {
                t: 100 * MS,
                pause: true,
            },
        );
        let m = reduce(m, Action::Act(SimAction::Crash(0)));
        let m = reduce(
            m,
            Action::Seek {
                t: 400 * MS,
                pause: true,
            },
        );
        assert!(m.marks.iter().any(|k| k.text == "n0 crashed"));
        let m = reduce(
            m,
            Action::Seek {
                t: 50 * MS,
                pause: true,
            },
        );
        assert_eq!(m.max_time, 400 * MS, "seeking back keeps the future");
        assert!(m.marks.iter().any(|k| k.text == "n0 crashed"));
        let m = reduce(m, Action::Act(SimAction::Crash(1)));
        assert_eq!(m.max_time, 50 * MS + 1);
        assert!(!m.marks.iter().any(|k| k.text == "n0 crashed"));
        let n = m.notice.as_ref().expect("a notice");
        assert_eq!(n.text, "1 later action dropped: you changed the past");
    }

    #[test]
    fn marks_survive_the_trace_dropping_its_oldest_events() {
        // Nine nodes and a heartbeat every 2 ms give about 16,000 trace events per second, so
        // over 30 s the trace drops its oldest events many times; the latency changes every
        // 250 ms. Stepping like frames of play (500 ms), every change must keep its mark.
        let changes = 120;
        let schedule: Vec<String> = (1..=changes)
            .map(|i| {
                format!(
                    r#"{{"at_ms":{},"do":"set-latency","latency_ms":{}}}"#,
                    250 * i,
                    5 + i % 2
                )
            })
            .collect();
        let json = format!(
            r#"{{"version":1,"seed":1,"nodes":9,"clients":1,"strategy":{{"kind":"single-leader","heartbeat_ms":2}},"schedule":[{}]}}"#,
            schedule.join(",")
        );
        let scenario = replica_engine::scenario::wire::decode(&json).expect("a valid scenario");
        let mut m = Rc::new(Model::new(Simulation::new(scenario), false));
        let end = (250 * changes + 100) * MS;
        let mut t = 0;
        while t < end {
            t = (t + 500 * MS).min(end);
            m = reduce(m, Action::Seek { t, pause: true });
        }
        assert!(
            m.sim.borrow().trace_start() > 300_000,
            "the trace dropped events"
        );
        let latency = m
            .marks
            .iter()
            .filter(|k| k.kind == MarkKind::Setting && k.text.starts_with("latency = "))
            .count();
        assert_eq!(latency, changes as usize);
    }

    #[test]
    fn marks_are_not_duplicated_by_replays() {
        let m = Rc::new(Model::initial(false));
        let m = reduce(m, Action::Act(SimAction::Crash(0)));
        let m = reduce(
            m,
            Action::Seek {
                t: 2000 * MS,
                pause: true,
            },
        );
        let before = m.marks.len();
        let m = reduce(m, Action::Seek { t: 0, pause: true });
        let m = reduce(
            m,
            Action::Seek {
                t: 2000 * MS,
                pause: true,
            },
        );
        assert_eq!(m.marks.len(), before);
        // The first leader, then its successor after the crash.
        assert_eq!(
            m.marks.iter().filter(|k| k.kind == MarkKind::Role).count(),
            2
        );
    }

    #[test]
    fn restarting_keeps_seed_and_workload() {
        let m = Rc::new(Model::initial(true));
        let m = reduce(
            m,
            Action::Tick {
                dt: 1000.0,
                wall: 0.0,
            },
        );
        let m = reduce(m, Action::Restart(Restart::Nodes(5)));
        let sim = m.sim.borrow();
        assert_eq!(sim.nodes().len(), 5);
        assert_eq!(sim.now(), 0);
        assert_eq!(sim.scenario().seed, 1);
        assert!(sim.config().workload.is_some());
    }

    fn count(m: &Model, name: &str) -> usize {
        let sim = m.sim.borrow();
        sim.anomalies()
            .iter()
            .filter(|a| a.kind.name() == name)
            .count()
    }

    #[test]
    fn switching_strategies_keeps_seed_and_workload() {
        let m = Rc::new(Model::initial(false));
        let m = reduce(m, Action::Restart(Restart::Seed(9)));
        let m = reduce(m, Action::Restart(Restart::Kind(Kind::MultiLeader)));
        {
            let sim = m.sim.borrow();
            assert_eq!(sim.nodes().len(), 3);
            assert_eq!(sim.scenario().seed, 9);
            assert!(sim.config().workload.is_some());
            assert!(matches!(&sim.config().strategy, Strategy::MultiLeader(ml) if ml.regions == 3));
        }
        let ml = MultiLeader {
            regions: 4,
            followers: 2,
            ..MultiLeader::default()
        };
        let m = reduce(
            m,
            Action::Restart(Restart::Strategy(Strategy::MultiLeader(ml))),
        );
        assert_eq!(m.sim.borrow().nodes().len(), 12, "nodes follow regions");
        let m = reduce(m, Action::Restart(Restart::Kind(Kind::Leaderless)));
        assert_eq!(m.sim.borrow().nodes().len(), 5);
        // N cannot exceed the cluster.
        let m = reduce(m, Action::Restart(Restart::Nodes(2)));
        let sim = m.sim.borrow();
        match &sim.config().strategy {
            Strategy::Leaderless(l) => assert_eq!((l.n, l.w, l.r), (2, 2, 2)),
            _ => unreachable!(),
        }
    }

    #[test]
    fn leaderless_w1_r1_reads_stale_data() {
        let m = Rc::new(Model::initial(false));
        let m = reduce(m, Action::Restart(Restart::Kind(Kind::Leaderless)));
        let m = reduce(m, Action::Act(SimAction::SetQuorum { w: 1, r: 1 }));
        // Busy clients on one key: reads often follow writes closely.
        let m = reduce(
            m,
            Action::Act(SimAction::SetWorkload(Some(
                replica_engine::scenario::Workload {
                    write_every: 200 * MS,
                    read_every: 100 * MS,
                    keys: 1,
                    read_from: replica_engine::scenario::ReadFrom::Nearest,
                },
            ))),
        );
        let m = reduce(
            m,
            Action::Seek {
                t: 10_000 * MS,
                pause: true,
            },
        );
        assert!(count(&m, "stale-read") > 0, "no stale read in 10 s");
    }

    #[test]
    fn the_twin_follows_the_clock_and_the_actions() {
        let m = Rc::new(Model::initial(false));
        let v = crate::compare::Variant::Mode(SyncMode::Sync);
        let m = reduce(m, Action::Compare(Some(v)));
        let twin_now = |m: &Model| m.compare.as_ref().unwrap().sim.borrow().now();
        let m = reduce(
            m,
            Action::Seek {
                t: 700 * MS,
                pause: true,
            },
        );
        assert_eq!(twin_now(&m), 700 * MS);
        let m = reduce(m, Action::Act(SimAction::Crash(0)));
        assert_eq!(twin_now(&m), m.now());
        let m = reduce(
            m,
            Action::Seek {
                t: 1500 * MS,
                pause: true,
            },
        );
        let m = reduce(m, Action::Step);
        assert_eq!(twin_now(&m), m.now());
        {
            let t = m.compare.as_ref().unwrap().sim.borrow();
            assert!(!t.nodes()[0].up, "the crash reached the twin");
            assert!(
                matches!(&t.config().strategy, Strategy::SingleLeader(sl) if sl.mode == SyncMode::Sync)
            );
            // The twin equals a fresh run of the main scenario under the variant.
            let mut fresh = crate::compare::twin(m.sim.borrow().scenario(), v);
            fresh.run_until(t.now());
            assert_eq!(fresh.trace_hash(), t.trace_hash());
        }
        // A live change of the compared setting reaches the main run only.
        let m = reduce(
            m,
            Action::Act(SimAction::SetMode(SyncMode::SemiSync { k: 1 })),
        );
        {
            let t = m.compare.as_ref().unwrap().sim.borrow();
            assert_eq!(t.now(), m.now());
            assert!(
                matches!(&t.config().strategy, Strategy::SingleLeader(sl) if sl.mode == SyncMode::Sync)
            );
        }
        let m = reduce(
            m,
            Action::Seek {
                t: 100 * MS,
                pause: true,
            },
        );
        assert_eq!(twin_now(&m), 100 * MS);
        // Another strategy: the twin follows with a setting that applies to it.
        let m = reduce(m, Action::Restart(Restart::Kind(Kind::Leaderless)));
        let t = m.compare.as_ref().unwrap();
        assert!(matches!(t.variant, crate::compare::Variant::Quorum { .. }));
        let m = reduce(m, Action::Compare(None));
        assert!(m.compare.is_none());
    }

    #[test]
    #[allow(irrefutable_let_patterns)] // More strategies are coming.
    fn semi_sync_k_shrinks_with_the_cluster() {
        let mut cfg = Config::default();
        if let Strategy::SingleLeader(sl) = &mut cfg.strategy {
            sl.mode = SyncMode::SemiSync { k: 4 };
        }
        let (s, _) = restarted(&cfg, 5, 1, Restart::Nodes(3));
        match &s.config.strategy {
            Strategy::SingleLeader(sl) => assert_eq!(sl.mode, SyncMode::SemiSync { k: 2 }),
            #[allow(unreachable_patterns)]
            _ => unreachable!(),
        }
    }
}
