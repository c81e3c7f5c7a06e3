// The result of encoding one input (a text or a text pair), and the options that shape it.
#ifndef BERTC_TOKENIZER_ENCODING_H_
#define BERTC_TOKENIZER_ENCODING_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace bertc::tok {

// Byte range [start, end) in the input text the token came from (the first or the second text of
// a pair, see Encoding::sequence_ids). Special tokens added by the post-processor and padding
// have {0, 0}. Layout-compatible with the C struct bert_offset.
struct Offset {
  size_t start = 0;
  size_t end = 0;
  bool operator==(const Offset& o) const { return start == o.start && end == o.end; }
};

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;             // 0 for the first sequence, 1 for the second
  std::vector<int32_t> attention_mask;       // 1 for tokens, 0 for padding
  std::vector<int32_t> special_tokens_mask;  // 1 for [CLS]/[SEP] added by post-processing and padding
  std::vector<Offset> offsets;
  std::vector<int8_t> sequence_ids;          // -1 for added special tokens and padding, else 0 or 1
  std::vector<Encoding> overflowing;         // windows cut off by truncation (HF order)

  size_t size() const { return ids.size(); }
  void Reserve(size_t n);
  // Appends one token.
  void Push(int32_t id, Offset off, int32_t type_id, int32_t special, int8_t seq, int32_t attention = 1);
  // Appends all tokens of `other` (not its overflowing windows).
  void AppendTokens(const Encoding& other);
};

// Many encodings stored flat, as the C ABI exposes them: each row (an input's encoding, or one of
// its overflow windows) is a slice of six arrays that live in a few shared blocks (one allocation
// per block of rows instead of six vectors per row).
class EncodingBatch {
 public:
  struct Row {
    const int32_t* ids = nullptr;
    const int32_t* type_ids = nullptr;
    const int32_t* attention_mask = nullptr;
    const int32_t* special_tokens_mask = nullptr;
    const Offset* offsets = nullptr;
    const int8_t* sequence_ids = nullptr;
    size_t length = 0;
    size_t input = 0;       // index of the input this row belongs to
    bool overflow = false;  // an overflow window (not the main encoding)
  };
  // Writable arrays of `tokens` tokens inside one block.
  struct Span {
    int32_t* ids;
    int32_t* type_ids;
    int32_t* attention_mask;
    int32_t* special_tokens_mask;
    Offset* offsets;
    int8_t* sequence_ids;

    // The row of `length` tokens starting at token `at` of this span.
    Row RowAt(size_t at, size_t length, size_t input, bool overflow) const {
      return Row{ids + at,     type_ids + at,     attention_mask + at, special_tokens_mask + at,
                 offsets + at, sequence_ids + at, length,              input,
                 overflow};
    }
  };

  EncodingBatch() = default;
  // Flattens encodings (each followed by its overflow windows) into one block.
  static EncodingBatch FromEncodings(const std::vector<Encoding>& encs);

  size_t size() const { return rows_.size(); }
  const Row& row(size_t r) const { return rows_[r]; }
  const std::vector<Row>& rows() const { return rows_; }
  // Copy of row r as an Encoding (tests, convenience).
  Encoding ToEncoding(size_t r) const;

  // Building: a new block with room for `tokens` tokens. Blocks never move once allocated.
  Span AllocateBlock(size_t tokens);
  std::vector<Row>& mutable_rows() { return rows_; }
  void ResizeBlocks(size_t n) { blocks_.resize(n); }
  // Like AllocateBlock but stored at blocks_[index] (thread-safe for distinct indices after ResizeBlocks).
  Span AllocateBlockAt(size_t index, size_t tokens);

 private:
  std::vector<Row> rows_;
  std::vector<std::unique_ptr<unsigned char[]>> blocks_;
};

enum class TruncationStrategy { kNone, kLongestFirst, kOnlyFirst, kOnlySecond };
enum class TruncationDirection { kRight, kLeft };
enum class PaddingStrategy { kNone, kLongest, kMaxLength };
enum class PaddingSide { kRight, kLeft };

struct EncodeOptions {
  bool add_special_tokens = true;  // [CLS] A [SEP] (B [SEP])
  TruncationStrategy truncation = TruncationStrategy::kNone;
  TruncationDirection truncation_direction = TruncationDirection::kRight;
  size_t max_length = 0;           // truncation limit incl. special tokens; 0 = model_max_length
  size_t stride = 0;               // overlap between overflow windows
  bool return_overflowing = false; // keep the overflow windows (otherwise they are dropped)
  PaddingStrategy padding = PaddingStrategy::kNone;
  size_t pad_length = 0;           // kMaxLength target; 0 = max_length (or model_max_length)
  size_t pad_to_multiple_of = 0;
  PaddingSide padding_side = PaddingSide::kRight;
  bool split_special_tokens = false;  // treat special tokens in the text as plain text
  int threads = 0;                    // batch encode threads; <= 0: all cores
};

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_ENCODING_H_
