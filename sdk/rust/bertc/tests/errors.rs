//! Errors: statuses and bertc's messages, the version check, Display/Error impls, the per-thread
//! message read right after the failing call.
mod common;

use bertc::{Error, Model, Status, Tokenizer};
use common::TempDir;

#[test]
fn missing_files_are_io_errors_with_bertcs_message() {
    let dir = TempDir::new("errors");
    let missing = dir.join("no_such_model");
    let err = Model::load(&missing).unwrap_err();
    assert_eq!(err.status(), Status::Io);
    assert!(err.message().starts_with("bert_model_load"), "{err}");
    assert!(err.message().contains("no_such_model"), "{err}");
    let shown = err.to_string();
    assert!(
        shown.contains(err.message()) && shown.ends_with("(I/O error)"),
        "{shown}"
    );

    let err = Tokenizer::load(dir.join("nothing/vocab.txt")).unwrap_err();
    assert_eq!(err.status(), Status::Io);
    assert!(err.message().contains("bert_tokenizer_load"), "{err}");

    let err = Tokenizer::train(&[dir.join("missing.txt")], &Default::default()).unwrap_err();
    assert_eq!(err.status(), Status::Io);

    // Saving where a file blocks the directory.
    std::fs::write(dir.join("file"), "x").unwrap();
    let model = Model::load(common::tiny_mlm()).unwrap();
    let err = model.save(dir.join("file/sub")).unwrap_err();
    assert_eq!(err.status(), Status::Io);

    // A path with a NUL byte never reaches the library.
    let err = Model::load("a\0b").unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().starts_with("bertc (rust):"), "{err}");
}

#[test]
fn errors_are_std_errors_and_carry_codes() {
    fn takes_std_error(_: &dyn std::error::Error) {}
    let err = Model::load("/nonexistent/bertc").unwrap_err();
    takes_std_error(&err);
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err.clone());
    assert_eq!(boxed.to_string(), err.to_string());
    assert_eq!(err.status().code(), bertc::sys::BERT_ERR_IO);
    assert_eq!(Status::from_code(0), None);
    for code in 1..=8 {
        let status = Status::from_code(code).unwrap();
        assert_eq!(status.code(), code);
        assert!(!matches!(status, Status::Unknown(_)));
        assert_ne!(status.name(), "unknown status");
    }
    assert_eq!(Status::from_code(99), Some(Status::Unknown(99)));
    assert_eq!(Status::Unknown(99).name(), "unknown status");
    assert_eq!(Status::InvalidArgument.to_string(), "invalid argument");
    let custom = Error::new(Status::Internal, "");
    assert_eq!(custom.to_string(), "bertc: internal error");
}

#[test]
fn version_check_passes_and_is_exposed() {
    bertc::check_version().unwrap();
    assert_eq!(bertc::HEADER_VERSION, bertc::sys::BERTC_VERSION_STRING);
    let number = bertc::version_number();
    assert_eq!(number / 10000, bertc::sys::BERTC_VERSION_MAJOR);
    assert!(number >= bertc::sys::BERTC_VERSION_NUMBER);
    let v = bertc::version();
    assert_eq!(v.split('.').count(), 3, "{v}");
    assert_eq!(
        v.split('.').next().unwrap().parse::<u32>().unwrap(),
        number / 10000
    );
    let info = bertc::build_info();
    assert!(info.starts_with('{') && info.ends_with('}'), "{info}");
    assert!(info.contains(&format!("\"version\":\"{v}\"")), "{info}");
    assert!(info.contains("\"kernel\""), "{info}");
}

#[test]
fn each_thread_gets_its_own_message() {
    // Failures on two threads at once: each error carries its own thread's message.
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            (0..50)
                .map(|_| Model::load("/nonexistent/aaa").unwrap_err())
                .all(|e| e.message().contains("aaa") && !e.message().contains("bbb"))
        });
        let b = s.spawn(|| {
            (0..50)
                .map(|_| Tokenizer::load("/nonexistent/bbb").unwrap_err())
                .all(|e| e.message().contains("bbb") && !e.message().contains("aaa"))
        });
        assert!(a.join().unwrap());
        assert!(b.join().unwrap());
    });
}

#[test]
fn warnings_are_readable_after_success() {
    // A BertModel checkpoint without an MLM head loads with a warning.
    let dir = common::fixtures().join("model/tiny_bertmodel");
    Model::load(&dir).unwrap();
    let warning = bertc::last_warning().expect("a warning");
    assert!(!warning.is_empty());
    Model::load(common::tiny_mlm()).unwrap();
    assert_eq!(bertc::last_warning(), None);
}

#[test]
fn limits_refuse_oversized_input_with_status_limit() {
    let before = bertc::limits().unwrap();
    assert_eq!(before.max_text_bytes, 1 << 30);
    let tok = bertc::Tokenizer::load(common::tiny_mlm()).unwrap();
    bertc::set_limits(&bertc::Limits {
        max_text_bytes: 8,
        ..before
    })
    .unwrap();
    let err = tok.encode("more than eight bytes");
    bertc::set_limits(&before).unwrap();
    let err = err.unwrap_err();
    assert_eq!(err.status(), bertc::Status::Limit);
    assert!(err.message().contains("max_text_bytes"), "{err}");
    assert!(tok.encode("more than eight bytes").is_ok());
}
