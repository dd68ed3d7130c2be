//! Name matching shared by every layer: case-insensitive lookup (Drill's identifiers ignore
//! case) and "did you mean" suggestions.

/// The exact name if present, otherwise the single name equal to `wanted` ignoring case.
pub fn find_case_insensitive<'a>(
    names: impl IntoIterator<Item = &'a str>,
    wanted: &str,
) -> Option<&'a str> {
    let mut folded = None;
    for n in names {
        if n == wanted {
            return Some(n);
        }
        if folded.is_none() && n.eq_ignore_ascii_case(wanted) {
            folded = Some(n);
        }
    }
    folded
}

/// Up to three names closest to `wanted` (edit distance, ignoring case), for "did you mean".
pub fn closest_names<'a>(names: impl IntoIterator<Item = &'a str>, wanted: &str) -> Vec<String> {
    let wanted = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, String)> = names
        .into_iter()
        .map(|n| (edit_distance(&n.to_lowercase(), &wanted), n.to_string()))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_suggestions() {
        let names = ["dfs", "Samples", "tmp"];
        assert_eq!(find_case_insensitive(names, "DFS"), Some("dfs"));
        assert_eq!(find_case_insensitive(names, "samples"), Some("Samples"));
        assert_eq!(find_case_insensitive(names, "nope"), None);
        assert_eq!(closest_names(names, "sampels"), vec!["Samples".to_string()]);
        assert!(closest_names(names, "zzzzzzzz").is_empty());
    }
}
