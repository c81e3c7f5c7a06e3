// safetensors reader and writer (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {str: str}}, then the raw little-endian tensor bytes. No LibTorch here.
//
// The reader trusts nothing in the file: the header length, every shape and every offset are checked
// against the file size before anything is allocated or read, and tensors must tile the data area
// without overlaps or holes (as the reference implementation requires).
#ifndef BERTC_MODEL_SAFETENSORS_H_
#define BERTC_MODEL_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bertc {
class AtomicFileSet;  // common/atomic_file.h
}  // namespace bertc

namespace bertc::model {

enum class Dtype { kBool, kU8, kI8, kI16, kU16, kF16, kBF16, kI32, kU32, kF32, kF64, kI64, kU64 };

// Bytes per element; the safetensors name ("F32", "BF16", ...) and its inverse (throws kFormat).
size_t DtypeSize(Dtype dtype);
const char* DtypeName(Dtype dtype);
Dtype DtypeFromName(std::string_view name);

struct TensorInfo {
  std::string name;
  Dtype dtype = Dtype::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets into the data area (after the header)
  uint64_t end = 0;
  int64_t numel() const;
};

// A parsed safetensors file held in memory. Immutable after construction: safe to share read-only.
class SafetensorsFile {
 public:
  // Reads and validates `path`. Throws Error(kIo) when unreadable, Error(kFormat) when corrupt.
  static SafetensorsFile Open(const std::string& path);
  // Validates an in-memory image; `source` names it in messages.
  static SafetensorsFile Parse(std::string bytes, const std::string& source = "<memory>");
  // Validates an image the caller keeps alive and unchanged while this object (or any Bytes() view
  // of it) is in use; nothing is copied.
  static SafetensorsFile Borrow(std::string_view bytes, const std::string& source = "<memory>");

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // nullptr when absent.
  const TensorInfo* Find(const std::string& name) const;
  // The raw bytes of a tensor (little-endian).
  std::string_view Bytes(const TensorInfo& t) const;
  // Converts F32/F16/BF16/F64 to float32; throws Error(kFormat) for other dtypes.
  std::vector<float> ToFloat32(const TensorInfo& t) const;
  const std::string& source() const { return source_; }

 private:
  static SafetensorsFile ParseView(std::string_view bytes, std::shared_ptr<const void> owner,
                                   const std::string& source);

  std::string source_;
  std::shared_ptr<const void> owner_;  // the bytes when this object owns them; null when borrowed
  std::string_view bytes_;
  size_t data_offset_ = 0;
  std::vector<TensorInfo> tensors_;  // in file order of data_offsets
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// One tensor to write: `data` must hold numel * DtypeSize(dtype) bytes and stay valid during the call.
struct TensorToWrite {
  std::string name;
  Dtype dtype = Dtype::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t nbytes = 0;
};

// Writes a safetensors file atomically (temp file + fsync + rename; the old file survives a failure).
// Tensors are stored sorted by name like the reference writer; the header is padded with spaces to
// a multiple of 8 bytes. Throws Error(kInvalidArgument) for a size/shape mismatch or duplicate
// names, Error(kIo) on write failure.
void WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});
// Same, as one file of a set written together (committed by the caller).
void WriteSafetensors(AtomicFileSet* set, const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// Float conversions used by the reader (exposed for tests).
float HalfToFloat(uint16_t h);
float BFloat16ToFloat(uint16_t b);
uint16_t FloatToBFloat16(float f);  // round to nearest even
uint16_t FloatToHalf(float f);      // round to nearest even

}  // namespace bertc::model

#endif  // BERTC_MODEL_SAFETENSORS_H_
