//! A cheap pre-scan of a YAML text's nesting depth, flow (`[`, `{`) and block (indentation and
//! `- ` items) together, so that absurdly deep input fails at once instead of taking the
//! parser quadratic time.

/// The deepest nesting a scenario or config file may have; real files stay far below.
pub(super) const MAX_DEPTH: usize = 256;

/// The 1-based line and column where `text` first nests deeper than [`MAX_DEPTH`], if it does.
pub(super) fn too_deep(text: &str) -> Option<(usize, usize)> {
    scan(text).err()
}

/// Line and column where the nesting passes [`MAX_DEPTH`].
type TooDeep = (usize, usize);

fn scan(text: &str) -> Result<(), TooDeep> {
    let mut blocks: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // The indentation of a block scalar's header line while its content lines are skipped.
    let mut block_scalar: Option<usize> = None;
    for (row, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let blank = indent == bytes.len() || bytes[indent] == b'#';
        if let Some(header) = block_scalar {
            if blank || indent > header {
                continue;
            }
            block_scalar = None;
        }
        if blank {
            continue;
        }
        let mut col = indent;
        if flow == 0 {
            // Block structure: the line's indentation, then each compact `- ` or `? ` opens a level.
            loop {
                blocks.retain(|&level| level < col);
                blocks.push(col);
                if blocks.len() > MAX_DEPTH {
                    return Err((row + 1, col + 1));
                }
                match bytes.get(col..col + 2) {
                    Some(b"- " | b"? ") => {
                        col += 2;
                        col += bytes[col..].iter().take_while(|&&b| b == b' ').count();
                    }
                    _ => break,
                }
            }
        }
        let (depth, opens_block_scalar) =
            scan_line(&bytes[col..], flow, blocks.len()).map_err(|at| (row + 1, col + at + 1))?;
        flow = depth;
        if opens_block_scalar {
            block_scalar = Some(indent);
        }
    }
    Ok(())
}

/// Follows the flow brackets of one line from `flow` open ones; quoted text and comments
/// do not count, and in block context a bracket opens a collection only where a value
/// starts. Returns the depth at the end of the line and whether the line opens a block
/// scalar (`|` or `>`), or the offset in `rest` where the nesting passes [`MAX_DEPTH`].
fn scan_line(rest: &[u8], mut flow: usize, blocks: usize) -> Result<(usize, bool), usize> {
    let mut at_value_start = true;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < rest.len() {
        let b = rest[i];
        if let Some(q) = quote {
            if q == b'"' && b == b'\\' {
                i += 1;
            } else if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' | b'\'' if at_value_start => quote = Some(b),
            b'#' if i == 0 || rest[i - 1] == b' ' => break,
            b'[' | b'{' if flow > 0 || at_value_start => {
                flow += 1;
                if flow + blocks > MAX_DEPTH {
                    return Err(i);
                }
            }
            b']' | b'}' if flow > 0 => flow -= 1,
            b'|' | b'>' if at_value_start && flow == 0 => {
                let header = &rest[i + 1..];
                let header = header
                    .iter()
                    .position(|&c| c == b'#')
                    .map_or(header, |end| &header[..end]);
                if header
                    .iter()
                    .all(|c| matches!(c, b'+' | b'-' | b'0'..=b'9' | b' '))
                {
                    return Ok((flow, true));
                }
            }
            _ => {}
        }
        at_value_start = match b {
            b' ' => at_value_start || (i > 0 && matches!(rest[i - 1], b':' | b',' | b'-' | b'?')),
            b'[' | b'{' | b',' => flow > 0,
            _ => false,
        };
        i += 1;
    }
    Ok((flow, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_and_block_nesting_is_caught_where_it_passes_the_limit() {
        // The document itself is the first level.
        assert_eq!(too_deep(&"[".repeat(100_000)), Some((1, MAX_DEPTH)));
        assert_eq!(
            too_deep(&"{a: ".repeat(1_000)),
            Some((1, 4 * MAX_DEPTH - 3))
        );
        let block: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(too_deep(&block), Some((MAX_DEPTH + 1, MAX_DEPTH + 1)));
        let dashes = format!("{}x\n", "- ".repeat(300));
        assert_eq!(too_deep(&dashes), Some((1, 2 * MAX_DEPTH + 1)));
    }

    #[test]
    fn ordinary_files_are_not_deep() {
        let text = "name: a # [[[[\nsteps:\n  - user: \"[[[[{{ x }}\"\n    bot: { contains: [a, b] }\n  - user: what about [this\n  - user: it's [not] deep\n";
        assert_eq!(too_deep(&text.repeat(200)), None);
        let literal: String = (0..300)
            .map(|i| format!("  {}x\n", " ".repeat(i)))
            .collect();
        assert_eq!(too_deep(&format!("a: |\n{literal}b: 1\n")), None);
        assert_eq!(too_deep(&"[\n".repeat(MAX_DEPTH - 1)), None);
        assert_eq!(too_deep(&"[\n".repeat(MAX_DEPTH)), Some((MAX_DEPTH, 1)));
    }
}
