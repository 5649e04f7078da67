//! The charts' geometry: each group's lag and each queue's depth over time, scaled into a box.
use crate::engine::Engine;

/// Points drawn per chart series at most (samples are thinned evenly beyond this).
pub const CHART_POINTS: usize = 200;

/// A small line chart of the sampled series: each group's lag and each queue's depth over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    /// The largest value drawn (the top of the y axis).
    pub max: u64,
    /// Time at the right edge.
    pub end_ms: u64,
    pub series: Vec<ChartSeries>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChartSeries {
    /// "lag notifications", "depth welcome-emails".
    pub label: String,
    pub path: String,
    /// Each series has its own dash pattern, so lines are told apart without colour.
    pub dash: &'static str,
    pub last: u64,
}

pub(super) const DASHES: &[&str] = &["", "6 3", "2 3", "10 3 2 3", "1 2"];

/// Lag and depth over time so far; None before the first sample.
pub fn chart(engine: &Engine, width: f64, height: f64) -> Option<Chart> {
    let samples = engine.samples();
    let last = samples.last()?;
    let end_ms = last.at_ms.max(1);
    let mut named: Vec<(String, Vec<u64>)> = vec![];
    for (g, group) in engine.groups().iter().enumerate() {
        named.push((
            format!("lag {}", group.spec.name),
            samples.iter().map(|s| s.group_lag.get(g).copied().unwrap_or(0)).collect(),
        ));
    }
    for (q, queue) in engine.queues().iter().enumerate() {
        named.push((
            format!("depth {}", queue.spec.name),
            samples.iter().map(|s| s.queue_depth.get(q).copied().unwrap_or(0)).collect(),
        ));
    }
    let max = named.iter().flat_map(|(_, v)| v.iter().copied()).max().unwrap_or(0).max(1);
    let stride = samples.len().div_ceil(CHART_POINTS).max(1);
    let x = |at: u64| width * at as f64 / end_ms as f64;
    let y = |v: u64| height - height * v as f64 / max as f64;
    let series = named
        .into_iter()
        .enumerate()
        .map(|(i, (label, values))| {
            let mut path = String::new();
            // Keep the last sample too, so the line reaches the right edge.
            let picks = (0..samples.len()).step_by(stride).chain(std::iter::once(samples.len() - 1));
            for (k, j) in picks.enumerate() {
                let cmd = if k == 0 { 'M' } else { 'L' };
                let d = crate::number::decimal;
                path.push_str(&format!("{cmd}{},{} ", d(x(samples[j].at_ms)), d(y(values[j]))));
            }
            ChartSeries {
                label,
                path: path.trim_end().to_string(),
                dash: DASHES[i % DASHES.len()],
                last: values[values.len() - 1],
            }
        })
        .collect();
    Some(Chart { width, height, max, end_ms, series })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::scenario::parse_scenario;
    use crate::scenario::presets::PRESETS;

    #[test]
    fn the_chart_follows_lag_and_depth_within_its_box() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("01")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        assert!(chart(&engine, 300.0, 100.0).is_none() || engine.samples().len() == 1);
        engine.run_until(15_000);
        let c = chart(&engine, 300.0, 100.0).unwrap();
        assert_eq!(c.series.len(), engine.groups().len() + engine.queues().len());
        assert!(c.series.iter().all(|s| s.label.starts_with("lag ")));
        let lag_now: Vec<u64> = engine.samples().last().unwrap().group_lag.clone();
        assert_eq!(c.series.iter().map(|s| s.last).collect::<Vec<_>>(), lag_now);
        for s in &c.series {
            let points: Vec<(f64, f64)> = s
                .path
                .split(' ')
                .map(|p| {
                    let (x, y) = p[1..].split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            assert!(points.len() <= CHART_POINTS + 1);
            assert!(points.iter().all(|&(x, y)| (0.0..=300.0).contains(&x) && (0.0..=100.0).contains(&y)));
            assert!(points.windows(2).all(|w| w[0].0 <= w[1].0), "time runs left to right");
            assert_eq!(points.last().unwrap().0, 300.0, "the line reaches now");
        }
        // The audit group joins late and replays history: its lag rises above zero at some point.
        assert!(c.max > 1);
        let dashes: std::collections::BTreeSet<_> = c.series.iter().map(|s| s.dash).collect();
        assert_eq!(dashes.len(), c.series.len().min(DASHES.len()), "told apart without colour");
    }
}
