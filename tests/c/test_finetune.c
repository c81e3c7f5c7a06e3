/* Fine-tuning through the C ABI (1.1): classifier models (create, load, load_for_task, config, save),
 * trainers on labelled JSONL and in-memory data (steps, evaluation with accuracy/F1, checkpoints,
 * exact resume, best metric), bert_classify / bert_tag / bert_tag_words against the HF pipeline
 * values of tests/fixtures/model/tiny_classifiers.json, bert_trainer_data_labels, and the bad-input
 * list of the fine-tuning issue (unknown label, words/tags mismatch, disagreeing label map, a
 * sequence classifier used for tagging), (1.3) the dropout override of bert_task_params. Tiny models
 * (hidden 32, 2 layers, vocab 1000). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bertc.h"

#define MODELS BERTC_FIXTURES_DIR "/model"
#define TINY MODELS "/tiny_mlm"

static char g_root[256];
static bert_tokenizer* g_tok;

static const char* kGenres[] = {"fiction", "nonfiction", "press"};
static const char* kWords[] = {"the", "man", "said", "that", "people", "of", "house", "were", "good", "he",
                               "was", "in", "world", "a", "new", "city", "and", "old", "time", "day"};
static const char* kTags[] = {"at", "nn", "vbd", "cs", "nns", "in", "nn", "bed", "jj", "pps",
                              "bedz", "in", "nn", "at", "jj", "nn", "cc", "jj", "nn", "nn"};

static double absd(double x) { return x < 0 ? -x : x; }
static int finite(double x) { return x == x && x - x == 0; }

/* n JSONL lines {"text", "label"}: the label follows the first word (so it is learnable). */
static void write_genre(const char* path, int n, const char* bad_label_at_line) {
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  uint32_t x = 777;
  for (int i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    const int first = (int)((x >> 16) % 3);
    fprintf(f, "{\"text\": \"%s", kWords[first]);
    for (int j = 0; j < 6; ++j) {
      x = x * 1103515245u + 12345u;
      fprintf(f, " %s", kWords[(x >> 16) % 20]);
    }
    const char* label = (bad_label_at_line != NULL && i == 3) ? bad_label_at_line : kGenres[first];
    fprintf(f, ".\", \"genre\": \"g%d\", \"label\": \"%s\"}\n", first, label);
  }
  fclose(f);
}

/* n JSONL lines {"words", "tags"}; with `mismatch` line 2 has one tag too few. */
static void write_pos(const char* path, int n, int mismatch) {
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  uint32_t x = 99;
  for (int i = 0; i < n; ++i) {
    const int len = 3 + i % 5;
    int idx[16];
    for (int j = 0; j < len; ++j) {
      x = x * 1103515245u + 12345u;
      idx[j] = (int)((x >> 16) % 20);
    }
    fputs("{\"words\": [", f);
    for (int j = 0; j < len; ++j) fprintf(f, "%s\"%s\"", j ? ", " : "", kWords[idx[j]]);
    fputs("], \"tags\": [", f);
    const int tags = (mismatch && i == 2) ? len - 1 : len;
    for (int j = 0; j < tags; ++j) fprintf(f, "%s\"%s\"", j ? ", " : "", kTags[idx[j]]);
    fputs("]}\n", f);
  }
  fclose(f);
}

static int setup(void** state) {
  (void)state;
  snprintf(g_root, sizeof g_root, "/tmp/bertc_c_finetune_%d", (int)getpid());
  mkdir(g_root, 0755);
  return bert_tokenizer_load(TINY, &g_tok) == BERT_OK ? 0 : -1;
}

static int teardown(void** state) {
  (void)state;
  bert_tokenizer_free(g_tok);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
  return system(cmd) == 0 ? 0 : -1;
}

static bert_trainer_params ft_params(const char* out_dir) {
  bert_trainer_params p;
  assert_int_equal(BERT_TRAINER_PARAMS_INIT(&p), BERT_OK);
  p.output_dir = out_dir;
  p.max_length = 32;
  p.batch_size = 8;
  p.learning_rate = 2e-3;
  p.max_steps = 12;
  p.logging_steps = 4;
  p.threads = 1;
  p.eval_split = 0;
  return p;
}

static bert_model* seq_model_from_mlm(void) {
  bert_task_params hp;
  assert_int_equal(BERT_TASK_PARAMS_INIT(&hp), BERT_OK);
  hp.task = BERT_TASK_SEQUENCE_CLASSIFICATION;
  hp.labels = kGenres;
  hp.num_labels = 3;
  hp.seed = 5;
  bert_model* m = NULL;
  assert_int_equal(bert_model_load_for_task(TINY, &hp, &m), BERT_OK);
  /* HF's warning: the head is new. The accessors leave it in place. */
  assert_int_equal(bert_model_task(m), BERT_TASK_SEQUENCE_CLASSIFICATION);
  assert_int_equal(bert_model_num_labels(m), 3);
  assert_string_equal(bert_model_label(m, 2), "press");
  assert_non_null(strstr(bert_last_error(), "newly initialized"));
  assert_non_null(strstr(bert_last_error(), "classifier.weight"));
  return m;
}

static void test_create_config_save_load(void** state) {
  (void)state;
  bert_model_params mp;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  assert_int_equal(mp.task, BERT_TASK_MASKED_LM);
  assert_int_equal(mp.num_labels, 0);
  assert_true(mp.classifier_dropout < 0);
  mp.vocab_size = 1000;
  mp.hidden_size = 32;
  mp.num_hidden_layers = 1;
  mp.num_attention_heads = 2;
  mp.intermediate_size = 64;
  mp.max_position_embeddings = 64;
  mp.task = BERT_TASK_TOKEN_CLASSIFICATION;
  bert_model* m = NULL;
  assert_int_equal(bert_model_create(&mp, &m), BERT_ERR_INVALID_ARGUMENT); /* no labels */
  assert_non_null(strstr(bert_last_error(), "label"));
  static const char* const dup[] = {"x", "y", "x"};
  mp.labels = dup;
  mp.num_labels = 3;
  assert_int_equal(bert_model_create(&mp, &m), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "appears twice"));
  static const char bad_utf8[] = {'o', (char)0xff, 0};
  const char* bad[] = {"ok", bad_utf8};
  mp.labels = bad;
  mp.num_labels = 2;
  assert_int_equal(bert_model_create(&mp, &m), BERT_ERR_INVALID_UTF8);
  static const char* const tags[] = {"O", "B-NP", "I-NP"};
  const size_t lens[] = {1, 4, 4};
  mp.labels = tags;
  mp.label_lengths = lens;
  mp.num_labels = 3;
  mp.classifier_dropout = 0.25;
  mp.task = 7;
  assert_int_equal(bert_model_create(&mp, &m), BERT_ERR_INVALID_ARGUMENT);
  mp.task = BERT_TASK_TOKEN_CLASSIFICATION;
  assert_int_equal(bert_model_create(&mp, &m), BERT_OK);

  bert_model_params got;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&got), BERT_OK);
  assert_int_equal(bert_model_config(m, &got), BERT_OK);
  assert_int_equal(got.task, BERT_TASK_TOKEN_CLASSIFICATION);
  assert_int_equal(got.num_labels, 3);
  assert_string_equal(got.labels[1], "B-NP");
  assert_int_equal(got.label_lengths[2], 4);
  assert_true(absd(got.classifier_dropout - 0.25) < 1e-12);

  char dir[300];
  snprintf(dir, sizeof dir, "%s/created_tagger", g_root);
  assert_int_equal(bert_model_save(m, dir), BERT_OK);
  bert_model* back = NULL;
  assert_int_equal(bert_model_load(dir, &back), BERT_OK);
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&got), BERT_OK);
  assert_int_equal(bert_model_config(back, &got), BERT_OK);
  assert_int_equal(got.task, BERT_TASK_TOKEN_CLASSIFICATION);
  assert_string_equal(got.labels[0], "O");
  /* A classifier cannot fill masks. */
  bert_fill_mask_result* fr = NULL;
  assert_int_equal(bert_fill_mask(back, g_tok, "a [MASK]", 8, NULL, &fr), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "no MLM head"));
  double score = 0;
  const char* plain[1] = {"a b"};
  assert_int_equal(bert_score_text(back, g_tok, plain, NULL, 1, NULL, &score, NULL), BERT_ERR_INVALID_ARGUMENT);
  bert_model_free(back);
  bert_model_free(m);
}

static void test_pipelines_match_hugging_face(void** state) {
  (void)state;
  /* Values from tests/fixtures/model/tiny_classifiers.json (transformers 4.49 pipelines). */
  bert_model* seq = NULL;
  assert_int_equal(bert_model_load(MODELS "/tiny_seqcls", &seq), BERT_OK);
  const char* texts[] = {"The man said that the people of the house were good.", "He was in the world."};
  bert_classify_result* cr = NULL;
  assert_int_equal(bert_classify(seq, g_tok, texts, NULL, 2, NULL, &cr), BERT_OK);
  assert_int_equal(bert_classify_result_num_texts(cr), 2);
  bert_classification c;
  c.struct_size = sizeof c;
  assert_int_equal(bert_classify_result_get(cr, 0, &c), BERT_OK);
  assert_string_equal(c.label_name, "press");
  assert_int_equal(c.label, 2);
  assert_int_equal(c.num_labels, 3);
  assert_true(absd(c.score - 0.539891064) < 1e-6);
  assert_true(absd(c.scores[1] - 0.251282215) < 1e-6);
  assert_true(absd(c.scores[0] - 0.208826706) < 1e-6);
  assert_true(c.logits[2] > c.logits[1]);
  assert_int_equal(bert_classify_result_get(cr, 1, &c), BERT_OK);
  assert_true(absd(c.scores[2] - 0.505872488) < 1e-6);
  bert_classify_result_free(cr);

  bert_model* tagger = NULL;
  assert_int_equal(bert_model_load(MODELS "/tiny_tokcls", &tagger), BERT_OK);
  const char* text = "He was in the world today!";
  bert_tag_result* tr = NULL;
  assert_int_equal(bert_tag(tagger, g_tok, &text, NULL, 1, NULL, &tr), BERT_OK);
  /* HF: 6 groups, all NP: was 0.646672845 (3..6), ..., "!" 0.39087379 (25..26). */
  assert_int_equal(bert_tag_result_num_groups(tr, 0), 6);
  assert_int_equal(bert_tag_result_num_words(tr, 0), 7);
  bert_tag_group g;
  g.struct_size = sizeof g;
  assert_int_equal(bert_tag_result_get_group(tr, 0, 0, &g), BERT_OK);
  assert_string_equal(g.label_name, "NP");
  assert_string_equal(g.text, "was");
  assert_int_equal(g.start, 3);
  assert_int_equal(g.end, 6);
  assert_true(absd(g.score - 0.646672845) < 1e-6);
  assert_int_equal(bert_tag_result_get_group(tr, 0, 5, &g), BERT_OK);
  assert_string_equal(g.text, "!");
  assert_true(absd(g.score - 0.39087379) < 1e-6);
  bert_tagged_word w;
  w.struct_size = sizeof w;
  assert_int_equal(bert_tag_result_get_word(tr, 0, 0, &w), BERT_OK);
  assert_string_equal(w.word, "He");
  assert_string_equal(w.label_name, "O"); /* not in any group: HF leaves "O" out */
  bert_tag_result_free(tr);

  /* Pre-split words: the label of each word's first piece (HF word_ids()). */
  const char* words[] = {"The", "unbelievable", "man", "said", "hello", "."};
  const size_t counts[] = {6};
  assert_int_equal(bert_tag_words(tagger, g_tok, words, NULL, counts, 1, NULL, &tr), BERT_OK);
  assert_int_equal(bert_tag_result_num_words(tr, 0), 6);
  assert_int_equal(bert_tag_result_get_word(tr, 0, 2, &w), BERT_OK);
  assert_int_equal(w.label, 1); /* B-NP */
  assert_true(absd(w.score - 0.833422482) < 1e-6);
  assert_string_equal(w.word, "man");
  assert_int_equal(w.start, 17); /* "The unbelievable man" */
  assert_int_equal(w.word_index, 2);
  bert_tag_result_free(tr);

  /* A sequence classifier used for tagging, and the reverse, fail clearly. */
  assert_int_equal(bert_tag(seq, g_tok, &text, NULL, 1, NULL, &tr), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "needs a BertForTokenClassification"));
  assert_non_null(strstr(bert_last_error(), "BertForSequenceClassification"));
  assert_int_equal(bert_classify(tagger, g_tok, texts, NULL, 1, NULL, &cr), BERT_ERR_INVALID_ARGUMENT);
  /* Too long without truncation; fine with it. */
  char longer[2048] = "";
  for (int i = 0; i < 100; ++i) strcat(longer, "the man ");
  const char* lt = longer;
  assert_int_equal(bert_classify(seq, g_tok, &lt, NULL, 1, NULL, &cr), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "truncation"));
  bert_classify_params cp;
  assert_int_equal(BERT_CLASSIFY_PARAMS_INIT(&cp), BERT_OK);
  cp.truncation = 1;
  assert_int_equal(bert_classify(seq, g_tok, &lt, NULL, 1, &cp, &cr), BERT_OK);
  bert_classify_result_free(cr);
  bert_model_free(seq);
  bert_model_free(tagger);
}

static void test_default_label_names(void** state) {
  (void)state;
  bert_task_params hp;
  assert_int_equal(BERT_TASK_PARAMS_INIT(&hp), BERT_OK);
  hp.task = BERT_TASK_TOKEN_CLASSIFICATION;
  hp.num_labels = 4; /* labels NULL: LABEL_0..LABEL_3, as transformers' from_pretrained(num_labels=4) */
  bert_model* m = NULL;
  assert_int_equal(bert_model_load_for_task(TINY, &hp, &m), BERT_OK);
  assert_int_equal(bert_model_task(m), BERT_TASK_TOKEN_CLASSIFICATION);
  assert_int_equal(bert_model_num_labels(m), 4);
  assert_string_equal(bert_model_label(m, 3), "LABEL_3");
  bert_model_free(m);
}

static void test_label_map_must_agree(void** state) {
  (void)state;
  static const char* const other[] = {"press", "fiction", "nonfiction"};
  bert_task_params hp;
  assert_int_equal(BERT_TASK_PARAMS_INIT(&hp), BERT_OK);
  hp.labels = other;
  hp.num_labels = 3;
  bert_model* m = NULL;
  assert_int_equal(bert_model_load_for_task(MODELS "/tiny_seqcls", &hp, &m), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "disagrees with the checkpoint's"));
  assert_null(m);
  hp.labels = NULL;
  hp.num_labels = 0;
  assert_int_equal(bert_model_load_for_task(MODELS "/tiny_seqcls", &hp, &m), BERT_OK); /* its own map */
  assert_string_equal(bert_last_error(), "");
  bert_model_free(m);
}

/* (1.3) bert_task_params' dropout fields override the checkpoint's config, as from_pretrained(DIR,
 * hidden_dropout_prob=..., attention_probs_dropout_prob=...): reported by bert_model_config, saved in
 * config.json, applied by the trainer; -1 keeps the checkpoint's; anything else outside [0, 1) fails. */
static bert_model* seq_model_with_dropout(const char* dir, double hidden, double attention) {
  bert_task_params hp;
  assert_int_equal(BERT_TASK_PARAMS_INIT(&hp), BERT_OK);
  assert_true(hp.hidden_dropout_prob == -1 && hp.attention_probs_dropout_prob == -1);
  hp.labels = kGenres;
  hp.num_labels = 3;
  hp.hidden_dropout_prob = hidden;
  hp.attention_probs_dropout_prob = attention;
  bert_model* m = NULL;
  assert_int_equal(bert_model_load_for_task(dir, &hp, &m), BERT_OK);
  return m;
}

static bert_model_params config_of(const bert_model* m) {
  bert_model_params mp;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  assert_int_equal(bert_model_config(m, &mp), BERT_OK);
  return mp;
}

static double first_step_loss(bert_model* m, const char* data_path, const char* out) {
  const char* files[] = {data_path};
  bert_trainer_data tr;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&tr), BERT_OK);
  tr.files = files;
  tr.num_files = 1;
  bert_trainer_params p = ft_params(out);
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(m, g_tok, &tr, NULL, &p, &t), BERT_OK);
  bert_trainer_step_result sr;
  sr.struct_size = sizeof sr;
  assert_int_equal(bert_trainer_step(t, NULL, NULL, &sr), BERT_OK);
  bert_trainer_free(t);
  return sr.loss;
}

static void test_dropout_override(void** state) {
  (void)state;
  /* The checkpoint says 0.1 / 0.1; the fields replace either one. */
  bert_model* m = seq_model_with_dropout(TINY, 0.3, 0.0);
  bert_model_params mp = config_of(m);
  assert_true(absd(mp.hidden_dropout_prob - 0.3) < 1e-12);
  assert_true(mp.attention_probs_dropout_prob == 0.0);
  assert_true(mp.classifier_dropout < 0); /* untouched: unset, so hidden_dropout_prob applies */
  char dir[300];
  snprintf(dir, sizeof dir, "%s/dropout_model", g_root);
  assert_int_equal(bert_model_save(m, dir), BERT_OK);
  bert_model_free(m);
  /* Saved in config.json; -1 (the default) then keeps the checkpoint's values. */
  bert_model* reloaded = seq_model_with_dropout(dir, -1, -1);
  mp = config_of(reloaded);
  assert_true(absd(mp.hidden_dropout_prob - 0.3) < 1e-12);
  assert_true(mp.attention_probs_dropout_prob == 0.0);
  bert_model_free(reloaded);
  bert_model* kept = seq_model_with_dropout(TINY, -1, 0.2);
  mp = config_of(kept);
  assert_true(absd(mp.hidden_dropout_prob - 0.1) < 1e-12);
  assert_true(absd(mp.attention_probs_dropout_prob - 0.2) < 1e-12);
  bert_model_free(kept);

  /* Out of range: a clear message naming the field, no model. */
  const double bad[] = {1.0, -0.5, NAN, 7.0};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    bert_task_params hp;
    assert_int_equal(BERT_TASK_PARAMS_INIT(&hp), BERT_OK);
    hp.labels = kGenres;
    hp.num_labels = 3;
    if (i % 2 == 0) hp.hidden_dropout_prob = bad[i]; else hp.attention_probs_dropout_prob = bad[i];
    bert_model* none = NULL;
    assert_int_equal(bert_model_load_for_task(TINY, &hp, &none), BERT_ERR_INVALID_ARGUMENT);
    assert_null(none);
    assert_non_null(strstr(bert_last_error(), i % 2 == 0 ? "hidden_dropout_prob" : "attention_probs_dropout_prob"));
    assert_non_null(strstr(bert_last_error(), "[0, 1)"));
  }

  /* The trainer applies it: with every dropout 0 the first step's loss is the same from two loads,
   * and with dropout 0.5 (same seed, same batch, same head) it differs. */
  char data[300], out[300];
  snprintf(data, sizeof data, "%s/dropout_train.jsonl", g_root);
  snprintf(out, sizeof out, "%s/dropout_run", g_root);
  write_genre(data, 16, NULL);
  bert_model* a = seq_model_with_dropout(TINY, 0.0, 0.0);
  bert_model* b = seq_model_with_dropout(TINY, 0.0, 0.0);
  bert_model* c = seq_model_with_dropout(TINY, 0.5, 0.5);
  const double loss_a = first_step_loss(a, data, out);
  const double loss_b = first_step_loss(b, data, out);
  const double loss_c = first_step_loss(c, data, out);
  assert_true(finite(loss_a) && finite(loss_c));
  assert_true(loss_a == loss_b);
  assert_true(absd(loss_a - loss_c) > 1e-6);
  bert_model_free(a);
  bert_model_free(b);
  bert_model_free(c);
}

static void test_sequence_finetuning(void** state) {
  (void)state;
  char train_path[300], eval_path[300], bad_path[300], out[300];
  snprintf(train_path, sizeof train_path, "%s/genre_train.jsonl", g_root);
  snprintf(eval_path, sizeof eval_path, "%s/genre_eval.jsonl", g_root);
  snprintf(bad_path, sizeof bad_path, "%s/genre_bad.jsonl", g_root);
  snprintf(out, sizeof out, "%s/seq_run", g_root);
  write_genre(train_path, 96, NULL);
  write_genre(eval_path, 24, NULL);
  write_genre(bad_path, 8, "poetry");

  const char* files[] = {train_path};
  const char* eval_files[] = {eval_path};
  const char* bad_files[] = {bad_path};
  bert_trainer_data tr, ev, bad;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&tr), BERT_OK);
  tr.files = files;
  tr.num_files = 1;
  ev = tr;
  ev.files = eval_files;
  bad = tr;
  bad.files = bad_files;

  char** labels = NULL;
  size_t n = 0;
  assert_int_equal(bert_trainer_data_labels(&tr, BERT_TASK_SEQUENCE_CLASSIFICATION, &labels, &n), BERT_OK);
  assert_int_equal(n, 3);
  assert_string_equal(labels[0], "fiction");
  assert_string_equal(labels[2], "press");
  bert_labels_free(labels, n);

  bert_model* m = seq_model_from_mlm();
  bert_trainer_params p = ft_params(out);
  p.eval_steps = 6;
  p.save_steps = 6;
  p.metric_for_best_model = "f1";
  bert_trainer* t = NULL;
  /* An unknown label in the evaluation data: the file and line are named. */
  assert_int_equal(bert_trainer_create(m, g_tok, &tr, &bad, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "unknown label 'poetry'"));
  assert_non_null(strstr(bert_last_error(), "genre_bad.jsonl:4"));
  p.metric_for_best_model = "bleu";
  assert_int_equal(bert_trainer_create(m, g_tok, &tr, &ev, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  p.metric_for_best_model = "f1";
  p.grouping = BERT_GROUPING_PACKED;
  assert_int_equal(bert_trainer_create(m, g_tok, &tr, &ev, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  p.grouping = BERT_GROUPING_DYNAMIC;
  assert_null(t);
  assert_int_equal(bert_trainer_create(m, g_tok, &tr, &ev, &p, &t), BERT_OK);

  bert_trainer_eval_result before;
  before.struct_size = sizeof before;
  assert_int_equal(bert_trainer_evaluate(t, &before), BERT_OK);
  assert_int_equal(before.examples, 24);
  assert_int_equal(before.masked_tokens, 24);
  assert_true(before.perplexity != before.perplexity); /* NaN for classifiers */
  bert_trainer_step_result sr;
  sr.struct_size = sizeof sr;
  for (int i = 0; i < 6; ++i) assert_int_equal(bert_trainer_step(t, NULL, NULL, &sr), BERT_OK);
  assert_int_equal(sr.step, 6);
  assert_true(finite(sr.loss));
  assert_int_equal(sr.masked_tokens, 8); /* one label per example */
  /* Continue in a second trainer from the checkpoint: identical to going on here. */
  bert_model* m2 = seq_model_from_mlm();
  bert_trainer* t2 = NULL;
  assert_int_equal(bert_trainer_create(m2, g_tok, &tr, &ev, &p, &t2), BERT_OK);
  assert_int_equal(bert_trainer_resume(t2, NULL), BERT_OK);
  assert_int_equal(bert_trainer_train(t, NULL, NULL), BERT_OK);
  assert_int_equal(bert_trainer_train(t2, NULL, NULL), BERT_OK);
  bert_trainer_eval_result a, b;
  a.struct_size = b.struct_size = sizeof a;
  assert_int_equal(bert_trainer_evaluate(t, &a), BERT_OK);
  assert_int_equal(bert_trainer_evaluate(t2, &b), BERT_OK);
  assert_true(a.loss == b.loss);
  assert_true(a.f1 == b.f1);
  /* It learned the first-word rule. */
  assert_true(a.loss < before.loss);
  assert_true(a.accuracy >= 0 && a.accuracy <= 1 && a.f1 >= 0 && a.f1 <= 1);
  bert_trainer_info info;
  info.struct_size = sizeof info;
  assert_int_equal(bert_trainer_get_info(t, &info), BERT_OK);
  assert_true(finite(info.best_metric)); /* the best macro-F1 at a checkpoint */
  assert_true(info.best_metric >= 0 && info.best_metric <= 1);

  /* The final model is a BertForSequenceClassification with the labels. */
  bert_model* saved = NULL;
  assert_int_equal(bert_model_load(out, &saved), BERT_OK);
  bert_model_params got;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&got), BERT_OK);
  assert_int_equal(bert_model_config(saved, &got), BERT_OK);
  assert_int_equal(got.task, BERT_TASK_SEQUENCE_CLASSIFICATION);
  assert_string_equal(got.labels[1], "nonfiction");
  bert_model_free(saved);
  bert_trainer_free(t);
  bert_trainer_free(t2);
  bert_model_free(m);
  bert_model_free(m2);
}

static void test_token_finetuning(void** state) {
  (void)state;
  char train_path[300], bad_path[300], out[300];
  snprintf(train_path, sizeof train_path, "%s/pos_train.jsonl", g_root);
  snprintf(bad_path, sizeof bad_path, "%s/pos_bad.jsonl", g_root);
  snprintf(out, sizeof out, "%s/tok_run", g_root);
  write_pos(train_path, 80, 0);
  write_pos(bad_path, 5, 1);
  const char* files[] = {train_path};
  const char* bad_files[] = {bad_path};
  bert_trainer_data tr, bad;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&tr), BERT_OK);
  tr.files = files;
  tr.num_files = 1;
  bad = tr;
  bad.files = bad_files;
  char** labels = NULL;
  size_t n = 0;
  assert_int_equal(bert_trainer_data_labels(&tr, BERT_TASK_TOKEN_CLASSIFICATION, &labels, &n), BERT_OK);
  assert_int_equal(n, 11); /* at bed bedz cc cs in jj nn nns pps vbd: the tags of kTags */
  bert_task_params hp;
  assert_int_equal(BERT_TASK_PARAMS_INIT(&hp), BERT_OK);
  hp.task = BERT_TASK_TOKEN_CLASSIFICATION;
  hp.labels = (const char* const*)labels;
  hp.num_labels = n;
  bert_model* m = NULL;
  assert_int_equal(bert_model_load_for_task(TINY, &hp, &m), BERT_OK);
  bert_labels_free(labels, n);

  bert_trainer_params p = ft_params(out);
  p.eval_split = 0.2;
  bert_trainer* t = NULL;
  /* Words and tags of different lengths. */
  assert_int_equal(bert_trainer_create(m, g_tok, &bad, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "pos_bad.jsonl:3"));
  assert_non_null(strstr(bert_last_error(), "words but"));
  assert_int_equal(bert_trainer_create(m, g_tok, &tr, NULL, &p, &t), BERT_OK);
  bert_trainer_eval_result before, after;
  before.struct_size = after.struct_size = sizeof before;
  assert_int_equal(bert_trainer_evaluate(t, &before), BERT_OK);
  assert_int_equal(before.examples, 16);
  assert_true(before.masked_tokens > 16); /* tagged words */
  assert_int_equal(bert_trainer_train(t, NULL, NULL), BERT_OK);
  assert_int_equal(bert_trainer_evaluate(t, &after), BERT_OK);
  assert_true(after.loss < before.loss);
  assert_true(after.accuracy > before.accuracy);

  /* A labelled batch from memory: rows x cols labels with -100. */
  const int32_t ids[] = {2, 40, 41, 3, 2, 42, 3, 0};
  const int32_t lab[] = {-100, 1, 2, -100, -100, 0, -100, -100};
  bert_trainer_step_result sr;
  sr.struct_size = sizeof sr;
  assert_int_equal(bert_trainer_step_batch(t, ids, NULL, lab, 2, 4, &sr), BERT_OK);
  assert_int_equal(sr.masked_tokens, 3);
  assert_int_equal(bert_trainer_step_batch(t, ids, NULL, NULL, 2, 4, &sr), BERT_ERR_INVALID_ARGUMENT);
  const int32_t out_of_range[] = {-100, 1, 99, -100, -100, 0, -100, -100};
  assert_int_equal(bert_trainer_step_batch(t, ids, NULL, out_of_range, 2, 4, &sr), BERT_ERR_INVALID_ARGUMENT);
  bert_trainer_free(t);

  /* In-memory fine-tuning data needs labels. */
  const size_t offsets[] = {0, 2, 3};
  const int32_t mem_ids[] = {40, 41, 42};
  const int32_t mem_labels[] = {1, -100, 0};
  bert_trainer_data mem;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&mem), BERT_OK);
  mem.token_ids = mem_ids;
  mem.offsets = offsets;
  mem.num_sequences = 2;
  p.batch_size = 2;
  p.eval_split = 0;
  assert_int_equal(bert_trainer_create(m, g_tok, &mem, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "labels"));
  mem.labels = mem_labels;
  mem.num_labels = 2; /* a token classifier needs one per token id: 3 */
  assert_int_equal(bert_trainer_create(m, g_tok, &mem, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "num_labels is 2"));
  mem.num_labels = 3;
  assert_int_equal(bert_trainer_create(m, g_tok, &mem, NULL, &p, &t), BERT_OK);
  assert_int_equal(bert_trainer_step(t, NULL, NULL, &sr), BERT_OK);
  assert_int_equal(sr.masked_tokens, 2);
  bert_trainer_free(t);
  bert_model_free(m);

  /* Labels given for a masked LM's data are an error, not silently ignored. */
  bert_model* mlm = NULL;
  assert_int_equal(bert_model_load(TINY, &mlm), BERT_OK);
  assert_int_equal(bert_trainer_create(mlm, g_tok, &mem, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "for classifiers"));
  bert_model_free(mlm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_config_save_load),
      cmocka_unit_test(test_pipelines_match_hugging_face),
      cmocka_unit_test(test_label_map_must_agree),
      cmocka_unit_test(test_default_label_names),
      cmocka_unit_test(test_dropout_override),
      cmocka_unit_test(test_sequence_finetuning),
      cmocka_unit_test(test_token_finetuning),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
