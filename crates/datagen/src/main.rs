//! `sift-datagen`: writes a deterministic, realistic customer CSV with planted defects.
//!
//! ```text
//! sift-datagen --rows N [--dataset customers|orders|products] [--seed S] [--invalid-pct P]
//!              [--country] [--out FILE]
//! ```
//!
//! See the library documentation of `sift_datagen` for what the rows contain.

use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use sift_datagen::{AS_OF, Config, DEFAULT_INVALID_PCT, DEFAULT_SEED, generate};

const USAGE: &str = "\
Usage: sift-datagen --rows N [--dataset customers|orders|products] [--seed S] [--invalid-pct P]
                    [--country] [--out FILE]

Writes a deterministic CSV with planted defects: customers (SPEC sections 2 and 3, the
default), or the orders and products of contracts/orders.toml and contracts/products.toml.

Options:
  --rows N          number of data rows (required)
  --dataset NAME    customers (default), orders or products
  --seed S          seed of every random choice (default 42)
  --invalid-pct P   percent of rows carrying a defect, 0 to 100 (default 5)
  --country         add a `country` column (ISO 3166-1 alpha-2) and country defects
  --out FILE        write to FILE instead of standard output
  -h, --help        print this help

Ages are completed years at 2026-11-26: validate with `--as-of 2026-11-26`.";

/// Buffer size of the output writer.
const BUFFER: usize = 4 << 20;

#[derive(Debug)]
struct Args {
    rows: u64,
    dataset: Dataset,
    config: Config,
    out: Option<String>,
}

/// Which rows to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dataset {
    Customers,
    Orders,
    Products,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut rows = None;
    let mut dataset = Dataset::Customers;
    let mut config = Config { seed: DEFAULT_SEED, invalid_pct: DEFAULT_INVALID_PCT, country: false };
    let mut out = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--rows" => {
                let v = value("--rows")?;
                rows = Some(v.parse::<u64>().map_err(|_| format!("--rows: `{v}` is not a whole number"))?);
            }
            "--seed" => {
                let v = value("--seed")?;
                config.seed = v.parse::<u64>().map_err(|_| format!("--seed: `{v}` is not a whole number"))?;
            }
            "--invalid-pct" => {
                let v = value("--invalid-pct")?;
                let pct = v.parse::<f64>().map_err(|_| format!("--invalid-pct: `{v}` is not a number"))?;
                if !(0.0..=100.0).contains(&pct) {
                    return Err(format!("--invalid-pct: {v} is not between 0 and 100"));
                }
                config.invalid_pct = pct;
            }
            "--dataset" => {
                dataset = match value("--dataset")?.as_str() {
                    "customers" => Dataset::Customers,
                    "orders" => Dataset::Orders,
                    "products" => Dataset::Products,
                    other => {
                        return Err(format!("--dataset: `{other}` is not customers, orders or products"));
                    }
                };
            }
            "--country" if inline.is_none() => config.country = true,
            "--out" => out = Some(value("--out")?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let rows = rows.ok_or("--rows is required")?;
    Ok(Some(Args { rows, dataset, config, out }))
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    if args.dataset != Dataset::Customers {
        return run_dataset(&args);
    }
    match &args.out {
        Some(path) => {
            let file = File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?;
            let mut writer = BufWriter::with_capacity(BUFFER, file);
            let summary = generate(&args.config, args.rows, &mut writer)
                .map_err(|e| format!("cannot write {path}: {e}"))?;
            writer.into_inner().map_err(|e| format!("cannot write {path}: {}", e.error()))?;
            eprintln!(
                "sift-datagen: wrote {} rows to {path} ({} defective, {} valid but tricky); \
                 validate with --as-of {}-{:02}-{:02}",
                summary.rows, summary.defective, summary.tricky, AS_OF.year, AS_OF.month, AS_OF.day
            );
        }
        None => {
            let stdout = io::stdout();
            let mut writer = BufWriter::with_capacity(BUFFER, stdout.lock());
            match generate(&args.config, args.rows, &mut writer).and_then(|_| writer.flush()) {
                Ok(()) => {}
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("sift-datagen: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sift-datagen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Orders or products, to `--out` or standard output.
fn run_dataset(args: &Args) -> Result<(), Box<dyn Error>> {
    let write = |out: &mut dyn Write| match args.dataset {
        Dataset::Orders => {
            sift_datagen::generate_orders(args.config.seed, args.config.invalid_pct, args.rows, out)
        }
        _ => sift_datagen::generate_products(args.config.seed, args.config.invalid_pct, args.rows, out),
    };
    let summary = match &args.out {
        Some(path) => {
            let file = File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?;
            let mut writer = BufWriter::with_capacity(BUFFER, file);
            let summary = write(&mut writer).map_err(|e| format!("cannot write {path}: {e}"))?;
            writer.into_inner().map_err(|e| format!("cannot write {path}: {}", e.error()))?;
            summary
        }
        None => {
            let stdout = io::stdout();
            let mut writer = BufWriter::with_capacity(BUFFER, stdout.lock());
            let summary = write(&mut writer)?;
            writer.flush()?;
            summary
        }
    };
    eprintln!(
        "sift-datagen: wrote {} rows ({} invalid, {} repeating an earlier key); validate with --as-of {}-{:02}-{:02}",
        summary.rows, summary.invalid, summary.repeats, AS_OF.year, AS_OF.month, AS_OF.day
    );
    Ok(())
}
