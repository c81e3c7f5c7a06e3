#include "api/guard.h"

#include <c10/util/Exception.h>

#include <new>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <system_error>

namespace bertc::api {
namespace {
thread_local std::string t_message;
thread_local WarningScope* t_warning = nullptr;  // innermost running Guard's
}  // namespace

WarningScope::WarningScope() noexcept : previous_(t_warning) { t_warning = this; }
WarningScope::~WarningScope() { t_warning = previous_; }

void Warn(const std::string& warning) {
  if (t_warning == nullptr || warning.empty()) return;
  std::string& text = t_warning->text();
  if (!text.empty()) text += "; ";
  text += warning;
}

void SetMessage(std::string message) noexcept { t_message.swap(message); }
void ClearMessage() { t_message.clear(); }
const char* CurrentMessage() { return t_message.c_str(); }

bert_status Fail(bert_status status, const char* function, std::string_view message) {
  try {
    t_message.assign(function);
    t_message.append(": ");
    t_message.append(message);
  } catch (...) {
    t_message.clear();  // out of memory while reporting: the status still says what happened
  }
  return status;
}

bert_status ToStatus(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return BERT_ERR_INVALID_ARGUMENT;
    case ErrorCode::kIo: return BERT_ERR_IO;
    case ErrorCode::kFormat: return BERT_ERR_FORMAT;
    case ErrorCode::kInvalidUtf8: return BERT_ERR_INVALID_UTF8;
    case ErrorCode::kOutOfMemory: return BERT_ERR_OUT_OF_MEMORY;
    case ErrorCode::kCancelled: return BERT_ERR_CANCELLED;
    case ErrorCode::kUnsupported: return BERT_ERR_UNSUPPORTED;
    case ErrorCode::kInternal: return BERT_ERR_INTERNAL;
    case ErrorCode::kLimit: return BERT_ERR_LIMIT;
  }
  return BERT_ERR_INTERNAL;
}

bert_status TranslateCurrentException(const char* function) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    return Fail(ToStatus(e.code()), function, e.what());
  } catch (const std::bad_alloc&) {
    return Fail(BERT_ERR_OUT_OF_MEMORY, function, "out of memory");
  } catch (const std::length_error& e) {
    // A container asked for more than max_size(): a size argument no allocation can satisfy.
    return Fail(BERT_ERR_OUT_OF_MEMORY, function, std::string("out of memory: size too large (") + e.what() + ")");
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    if (msg.find("can't allocate memory") != std::string::npos ||
        msg.find("out of memory") != std::string::npos) {
      return Fail(BERT_ERR_OUT_OF_MEMORY, function, msg);
    }
    if (dynamic_cast<const c10::IndexError*>(&e) != nullptr || dynamic_cast<const c10::ValueError*>(&e) != nullptr ||
        dynamic_cast<const c10::TypeError*>(&e) != nullptr) {
      return Fail(BERT_ERR_INVALID_ARGUMENT, function, msg);
    }
    return Fail(BERT_ERR_INTERNAL, function, "LibTorch error: " + msg);
  } catch (const nlohmann::json::exception& e) {
    return Fail(BERT_ERR_FORMAT, function, std::string("JSON: ") + e.what());
  } catch (const std::system_error& e) {
    return Fail(BERT_ERR_IO, function, e.what());
  } catch (const std::invalid_argument& e) {
    return Fail(BERT_ERR_INVALID_ARGUMENT, function, e.what());
  } catch (const std::out_of_range& e) {
    return Fail(BERT_ERR_INVALID_ARGUMENT, function, e.what());
  } catch (const std::exception& e) {
    return Fail(BERT_ERR_INTERNAL, function, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(BERT_ERR_INTERNAL, function, "internal error: unknown exception");
  }
}

}  // namespace bertc::api
