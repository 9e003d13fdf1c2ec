//! arXiv's category taxonomy in one place: its archives, which codes are categories (current
//! and retired, so a listing of an unknown one is a 404 rather than an empty day), and the
//! OAI-PMH set each belongs to.

/// arXiv's archives, current and retired: every category code starts with one.
pub const ARCHIVES: &[&str] = &[
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn",
    "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "econ", "eess", "funct-an",
    "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
    "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "q-fin", "quant-ph",
    "solv-int", "stat", "supr-con",
];

/// Archives whose code is itself a category (no subject class after a dot), current and
/// retired.
const STANDALONE: &[&str] = &[
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn",
    "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "dg-ga", "funct-an", "gr-qc", "hep-ex", "hep-lat",
    "hep-ph", "hep-th", "math-ph", "mtrl-th", "nucl-ex", "nucl-th", "patt-sol", "plasm-ph",
    "q-alg", "quant-ph", "solv-int", "supr-con",
];

/// Each archive with its subject classes (`cs` `AI` is `cs.AI`).
const SUBJECTS: &[(&str, &[&str])] = &[
    ("astro-ph", &["CO", "EP", "GA", "HE", "IM", "SR"]),
    (
        "cond-mat",
        &[
            "dis-nn",
            "mes-hall",
            "mtrl-sci",
            "other",
            "quant-gas",
            "soft",
            "stat-mech",
            "str-el",
            "supr-con",
        ],
    ),
    (
        "cs",
        &[
            "AI", "AR", "CC", "CE", "CG", "CL", "CR", "CV", "CY", "DB", "DC", "DL", "DM", "DS",
            "ET", "FL", "GL", "GR", "GT", "HC", "IR", "IT", "LG", "LO", "MA", "MM", "MS", "NA",
            "NE", "NI", "OH", "OS", "PF", "PL", "RO", "SC", "SD", "SE", "SI", "SY",
        ],
    ),
    ("econ", &["EM", "GN", "TH"]),
    ("eess", &["AS", "IV", "SP", "SY"]),
    (
        "math",
        &[
            "AC", "AG", "AP", "AT", "CA", "CO", "CT", "CV", "DG", "DS", "FA", "GM", "GN", "GR",
            "GT", "HO", "IT", "KT", "LO", "MG", "MP", "NA", "NT", "OA", "OC", "PR", "QA", "RA",
            "RT", "SG", "SP", "ST",
        ],
    ),
    ("nlin", &["AO", "CD", "CG", "PS", "SI"]),
    (
        "physics",
        &[
            "acc-ph", "ao-ph", "app-ph", "atm-clus", "atom-ph", "bio-ph", "chem-ph", "class-ph",
            "comp-ph", "data-an", "ed-ph", "flu-dyn", "gen-ph", "geo-ph", "hist-ph", "ins-det",
            "med-ph", "optics", "plasm-ph", "pop-ph", "soc-ph", "space-ph",
        ],
    ),
    (
        "q-bio",
        &["BM", "CB", "GN", "MN", "NC", "OT", "PE", "QM", "SC", "TO"],
    ),
    (
        "q-fin",
        &["CP", "EC", "GN", "MF", "PM", "PR", "RM", "ST", "TR"],
    ),
    ("stat", &["AP", "CO", "ME", "ML", "OT", "TH"]),
];

/// Whether `code` is an arXiv category (`cs.CL`, `hep-th`, `cond-mat.str-el`, retired ones
/// such as `cmp-lg` included). Case matters, as on arXiv.
pub fn is_known(code: &str) -> bool {
    if STANDALONE.contains(&code) {
        return true;
    }
    let Some((archive, subject)) = code.split_once('.') else {
        return false;
    };
    SUBJECTS
        .iter()
        .any(|(a, subjects)| *a == archive && subjects.contains(&subject))
}

/// The OAI-PMH set holding a category: `cs.CL` → `cs`, `hep-th` → `physics:hep-th`,
/// `astro-ph.GA` → `physics:astro-ph`.
pub fn oai_set(category: &str) -> String {
    let archive = category.split('.').next().unwrap_or(category);
    const PHYSICS: [&str; 13] = [
        "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
        "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph",
    ];
    if PHYSICS.contains(&archive) {
        format!("physics:{archive}")
    } else {
        archive.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::{is_known, oai_set};

    #[test]
    fn categories_are_known_and_made_up_ones_are_not() {
        for code in [
            "cs.CL",
            "hep-th",
            "cond-mat.str-el",
            "math.AG",
            "stat.ML",
            "cmp-lg",
        ] {
            assert!(is_known(code), "{code}");
        }
        for code in ["cs.XX", "cs", "math", "cs.cl", "hep-th.XX", "physics.fake"] {
            assert!(!is_known(code), "{code}");
        }
    }

    #[test]
    fn categories_map_to_their_oai_sets() {
        assert_eq!(oai_set("cs.CL"), "cs");
        assert_eq!(oai_set("stat.ML"), "stat");
        assert_eq!(oai_set("hep-th"), "physics:hep-th");
        assert_eq!(oai_set("astro-ph.GA"), "physics:astro-ph");
        assert_eq!(oai_set("q-bio.NC"), "q-bio");
    }
}
