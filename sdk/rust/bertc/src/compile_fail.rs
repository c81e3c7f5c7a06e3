//! Compile-time guarantees, checked as doctests (`cargo test --doc`): what the C header asks of
//! callers in prose, the types enforce. Each `compile_fail` block has a compiling twin in
//! `compiles` below, so it fails for the stated reason only.
//!
//! A released handle cannot be used (no use-after-free, no double free):
//! ```compile_fail,E0382
//! let model = bertc::Model::load("m").unwrap();
//! drop(model);
//! model.num_parameters().unwrap();
//! ```
//!
//! A model cannot be freed while a trainer holds it ("the trainer borrows model, which must
//! outlive it"):
//! ```compile_fail,E0505
//! use bertc::*;
//! let tok = Tokenizer::load("t").unwrap();
//! let mut model = Model::load("m").unwrap();
//! let mut trainer = Trainer::new(&mut model, &tok, None, None, &TrainerOptions::default()).unwrap();
//! drop(model);
//! trainer.step().unwrap();
//! ```
//!
//! ... nor used behind the trainer's back while it lives (the trainer holds it exclusively;
//! read it through `Trainer::model` or `Event::model`):
//! ```compile_fail,E0502
//! use bertc::*;
//! let tok = Tokenizer::load("t").unwrap();
//! let mut model = Model::load("m").unwrap();
//! let mut trainer = Trainer::new(&mut model, &tok, None, None, &TrainerOptions::default()).unwrap();
//! model.num_parameters().unwrap();
//! trainer.step().unwrap();
//! ```
//!
//! A model that borrows its weights buffer cannot outlive it (`BERT_MODEL_LOAD_BORROW`):
//! ```compile_fail,E0597
//! let model = {
//!     let weights = std::fs::read("model.safetensors").unwrap();
//!     bertc::Model::load_borrowed(b"{}", &weights).unwrap()
//! };
//! model.num_parameters().unwrap();
//! ```
//!
//! ... and the buffer cannot change meanwhile:
//! ```compile_fail,E0502
//! let mut weights = std::fs::read("model.safetensors").unwrap();
//! let model = bertc::Model::load_borrowed(b"{}", &weights).unwrap();
//! weights[0] = 0;
//! model.num_parameters().unwrap();
//! ```
//!
//! The model an event lends cannot escape the callback:
//! ```compile_fail,E0521
//! use bertc::*;
//! use std::ops::ControlFlow;
//! let tok = Tokenizer::load("t").unwrap();
//! let mut model = Model::load("m").unwrap();
//! let mut trainer = Trainer::new(&mut model, &tok, None, None, &TrainerOptions::default()).unwrap();
//! let mut kept = None;
//! trainer.train_with_progress(|ev| { kept = ev.model(); ControlFlow::Continue(()) }).unwrap();
//! ```
//!
//! ... nor go to another thread (only the callback's thread may read it while training is paused;
//! another thread would block on the trainer's lock):
//! ```compile_fail,E0277
//! use bertc::*;
//! use std::ops::ControlFlow;
//! let tok = Tokenizer::load("t").unwrap();
//! let mut model = Model::load("m").unwrap();
//! let mut trainer = Trainer::new(&mut model, &tok, None, None, &TrainerOptions::default()).unwrap();
//! trainer.train_with_progress(|ev| {
//!     std::thread::scope(|s| { s.spawn(|| ev.model().map(|m| m.num_parameters())); });
//!     ControlFlow::Continue(())
//! }).unwrap();
//! ```
//!
//! A trainer is not `Sync` (one call at a time):
//! ```compile_fail,E0277
//! use bertc::*;
//! fn shared<T: Sync>(_: &T) {}
//! let tok = Tokenizer::load("t").unwrap();
//! let mut model = Model::load("m").unwrap();
//! let trainer = Trainer::new(&mut model, &tok, None, None, &TrainerOptions::default()).unwrap();
//! shared(&trainer);
//! ```
//!
//! The twins, which compile:
//! ```no_run
//! use bertc::*;
//! use std::ops::ControlFlow;
//! fn shared<T: Sync>(_: &T) {}
//! fn sent<T: Send>(_: T) {}
//! let model = Model::load("m").unwrap();
//! model.num_parameters().unwrap();
//! drop(model);
//!
//! let tok = Tokenizer::load("t").unwrap();
//! let mut model = Model::load("m").unwrap();
//! let mut trainer = Trainer::new(&mut model, &tok, None, None, &TrainerOptions::default()).unwrap();
//! trainer.model().num_parameters().unwrap();
//! let mut steps = 0;
//! trainer.train_with_progress(|ev| {
//!     steps += ev.model().map_or(0, |m| m.num_parameters().unwrap());
//!     ControlFlow::Continue(())
//! }).unwrap();
//! trainer.step().unwrap();
//! shared(&tok);
//! shared(&model_ref(&trainer));
//! sent(trainer);
//! drop(model);
//!
//! let mut weights = std::fs::read("model.safetensors").unwrap();
//! {
//!     let model = Model::load_borrowed(b"{}", &weights).unwrap();
//!     model.num_parameters().unwrap();
//! }
//! weights[0] = 0;
//!
//! fn model_ref<'a>(t: &'a Trainer<'_>) -> &'a Model { t.model() }
//! ```
