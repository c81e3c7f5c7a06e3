// Data-parallel training on c10d/Gloo, with the ranks as threads of this process (the multi-process
// runs, the launcher and SIGKILL are tested through the CLI in tests/distributed).
#include "train/distributed.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "common/error.h"
#include "toy.h"
#include "train/trainer.h"

namespace bertc::train {
namespace {
namespace fs = std::filesystem;
using testing::FreshDir;
using testing::TinyConfig;
using testing::ToyExamples;
using testing::ToyOptions;
using testing::ToyTokenizer;

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

TrainerOptions RankOptions(TrainerOptions o, int rank, int world, int port, double timeout = 60) {
  o.distributed.world_size = world;
  o.distributed.rank = rank;
  o.distributed.local_rank = rank;
  o.distributed.local_world_size = world;
  o.distributed.rendezvous = "127.0.0.1:" + std::to_string(port);
  o.distributed.timeout_seconds = timeout;
  return o;
}

struct RankRun {
  std::vector<double> losses;
  std::vector<double> norms;
  std::vector<int64_t> tokens;
  std::unique_ptr<Trainer> trainer;
  std::string error;
  ErrorCode code = static_cast<ErrorCode>(0);
};

// Runs `body` for ranks 0..world-1 on their own threads; each builds its trainer from options(rank).
std::vector<RankRun> RunRanks(int world, const std::function<TrainerOptions(int)>& options,
                              const std::function<std::shared_ptr<data::ExampleSet>(int)>& data,
                              const std::function<void(int, RankRun&)>& body, uint64_t init_seed = 1) {
  std::vector<RankRun> runs(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      RankRun& run = runs[static_cast<size_t>(r)];
      try {
        run.trainer = std::make_unique<Trainer>(model::Bert(TinyConfig(), init_seed), ToyTokenizer(), data(r), nullptr,
                                                options(r));
        body(r, run);
      } catch (const Error& e) {
        run.error = e.what();
        run.code = e.code();
      }
    });
  }
  for (auto& t : threads) t.join();
  return runs;
}

TEST(Distributed, ResolveReadsTheLaunchersEnvironment) {
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("LOCAL_RANK", "1", 1);
  ::setenv("LOCAL_WORLD_SIZE", "2", 1);
  ::setenv("MASTER_ADDR", "10.0.0.1", 1);
  ::setenv("MASTER_PORT", "29511", 1);
  DistributedOptions o;
  o.world_size = 0;
  o.rank = o.local_rank = -1;
  o.local_world_size = 0;
  DistributedOptions r = ResolveDistributed(o);
  EXPECT_EQ(r.world_size, 4);
  EXPECT_EQ(r.rank, 3);
  EXPECT_EQ(r.local_rank, 1);
  EXPECT_EQ(r.local_world_size, 2);
  EXPECT_EQ(r.rendezvous, "10.0.0.1:29511");
  // Under torchrun, whose agent serves its own store on MASTER_PORT, bertc's is on the next port.
  ::setenv("TORCHELASTIC_USE_AGENT_STORE", "True", 1);
  EXPECT_EQ(ResolveDistributed(o).rendezvous, "10.0.0.1:29512");
  ::unsetenv("TORCHELASTIC_USE_AGENT_STORE");
  // Explicit values win over the environment.
  o.world_size = 2;
  o.rank = 0;
  o.rendezvous = "file:///tmp/x";
  r = ResolveDistributed(o);
  EXPECT_EQ(r.world_size, 2);
  EXPECT_EQ(r.rank, 0);
  EXPECT_EQ(r.rendezvous, "file:///tmp/x");
  // Bad values are named.
  ::setenv("RANK", "seven", 1);
  o = DistributedOptions{};
  o.world_size = 0;
  o.rank = -1;
  try {
    ResolveDistributed(o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("RANK"), std::string::npos) << e.what();
  }
  ::setenv("RANK", "4", 1);
  EXPECT_THROW(ResolveDistributed(o), Error);  // rank >= world size
  for (const char* v : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) {
    ::unsetenv(v);
  }
  o = DistributedOptions{};
  o.world_size = 2;
  try {
    ResolveDistributed(o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MASTER_ADDR"), std::string::npos) << e.what();
  }
  o.rendezvous = "host-without-port";
  EXPECT_THROW(ResolveDistributed(o), Error);
  o.rendezvous = "host:99999";
  EXPECT_THROW(ResolveDistributed(o), Error);
  // Nothing set: one process.
  EXPECT_EQ(ResolveDistributed(DistributedOptions{0, -1, -1, 0, "", 300}).world_size, 1);
}

// Two ranks with grad_accum 1 make the same updates as one process with grad_accum 2 (dropout on:
// draws are per micro-batch), and hold bit-identical weights.
TEST(Distributed, TwoRanksEqualOneProcessWithTheSameGlobalBatch) {
  auto data = ToyExamples(48, 3);
  TrainerOptions base = ToyOptions("");
  base.save_final_model = false;
  base.max_steps = 6;
  constexpr int kSteps = 6;

  TrainerOptions single = base;
  single.grad_accum = 2;
  Trainer one(model::Bert(TinyConfig(), 1), ToyTokenizer(), data, nullptr, single);
  std::vector<double> one_loss;
  std::vector<int64_t> one_tokens;
  for (int i = 0; i < kSteps; ++i) {
    const StepResult r = one.Step();
    one_loss.push_back(r.loss);
    one_tokens.push_back(r.tokens);
  }

  const int port = FreePort();
  auto runs = RunRanks(
      2, [&](int r) { return RankOptions(base, r, 2, port); }, [&](int) { return data; },
      [&](int, RankRun& run) {
        EXPECT_EQ(run.trainer->total_steps(), kSteps);
        for (int i = 0; i < kSteps; ++i) {
          const StepResult s = run.trainer->Step();
          run.losses.push_back(s.loss);
          run.norms.push_back(s.grad_norm);
          run.tokens.push_back(s.tokens);
        }
      });
  for (const auto& run : runs) ASSERT_TRUE(run.error.empty()) << run.error;
  EXPECT_EQ(runs[0].losses, runs[1].losses);
  EXPECT_EQ(runs[0].norms, runs[1].norms);
  EXPECT_EQ(runs[0].tokens, one_tokens);  // all-reduced: the global step's tokens
  for (int i = 0; i < kSteps; ++i) EXPECT_NEAR(runs[0].losses[i], one_loss[i], 1e-6) << "step " << i + 1;
  EXPECT_DOUBLE_EQ(runs[0].trainer->epoch(), one.epoch());
  auto p0 = runs[0].trainer->model()->named_parameters();
  auto p1 = runs[1].trainer->model()->named_parameters();
  auto ps = one.model()->named_parameters();
  for (const auto& item : p0) {
    EXPECT_TRUE(torch::equal(item.value(), p1[item.key()])) << "ranks differ in " << item.key();
    EXPECT_TRUE(torch::allclose(item.value(), ps[item.key()], 1e-5, 1e-6)) << "1-process run differs in " << item.key();
  }
}

TEST(Distributed, FileStoreRendezvous) {
  auto data = ToyExamples(32, 3);
  TrainerOptions base = ToyOptions("");
  base.save_final_model = false;
  const std::string file = FreshDir("filestore");
  auto runs = RunRanks(
      2,
      [&](int r) {
        TrainerOptions o = RankOptions(base, r, 2, 1);
        o.distributed.rendezvous = "file://" + file;
        return o;
      },
      [&](int) { return data; },
      [&](int, RankRun& run) {
        for (int i = 0; i < 2; ++i) run.losses.push_back(run.trainer->Step().loss);
      });
  for (const auto& run : runs) ASSERT_TRUE(run.error.empty()) << run.error;
  EXPECT_EQ(runs[0].losses, runs[1].losses);
  fs::remove_all(file);
}

TEST(Distributed, EvaluationIsShardedAndAllReduced) {
  auto train = ToyExamples(32, 3);
  auto eval = ToyExamples(21, 9);
  TrainerOptions base = ToyOptions("");
  base.save_final_model = false;
  base.eval_batch_size = 4;  // 6 batches: 3 per rank
  Trainer one(model::Bert(TinyConfig(), 1), ToyTokenizer(), train, eval, base);
  const EvalResult want = one.Evaluate();
  const int port = FreePort();
  std::vector<EvalResult> got(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      try {
        Trainer t(model::Bert(TinyConfig(), 1), ToyTokenizer(), train, eval, RankOptions(base, r, 2, port));
        got[static_cast<size_t>(r)] = t.Evaluate();
      } catch (const Error& e) {
        errors[static_cast<size_t>(r)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < 2; ++r) {
    ASSERT_TRUE(errors[static_cast<size_t>(r)].empty()) << errors[static_cast<size_t>(r)];
    EXPECT_EQ(got[static_cast<size_t>(r)].masked_tokens, want.masked_tokens);
    EXPECT_NEAR(got[static_cast<size_t>(r)].loss, want.loss, 1e-9);
    EXPECT_DOUBLE_EQ(got[static_cast<size_t>(r)].accuracy, want.accuracy);
  }
}

TEST(Distributed, RanksThatDisagreeAreRefusedAtStart) {
  auto data = ToyExamples(32, 3);
  auto other = ToyExamples(32, 4);
  TrainerOptions base = ToyOptions("");
  base.save_final_model = false;
  struct Case {
    const char* what;
    std::function<TrainerOptions(int)> options;
    std::function<std::shared_ptr<data::ExampleSet>(int)> data;
  };
  const std::vector<Case> cases = {
      {"the seed",
       [&](int r) {
         TrainerOptions o = base;
         o.seed = 7 + static_cast<uint64_t>(r);
         return o;
       },
       [&](int) { return data; }},
      {"the training data", [&](int) { return base; }, [&](int r) { return r == 0 ? data : other; }},
      {"the training options",
       [&](int r) {
         TrainerOptions o = base;
         o.learning_rate = r == 0 ? 1e-3 : 2e-3;
         return o;
       },
       [&](int) { return data; }},
  };
  for (const Case& c : cases) {
    const int port = FreePort();
    auto runs = RunRanks(
        2, [&](int r) { return RankOptions(c.options(r), r, 2, port); }, c.data, [](int, RankRun&) {});
    for (int r = 0; r < 2; ++r) {
      EXPECT_EQ(runs[static_cast<size_t>(r)].code, ErrorCode::kInvalidArgument) << c.what << ": " << runs[r].error;
      EXPECT_NE(runs[static_cast<size_t>(r)].error.find(c.what), std::string::npos) << runs[r].error;
    }
  }
  // A different model (initial weights).
  const int port = FreePort();
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      try {
        Trainer t(model::Bert(TinyConfig(), 1 + static_cast<uint64_t>(r)), ToyTokenizer(), data, nullptr,
                  RankOptions(base, r, 2, port));
      } catch (const Error& e) {
        errors[static_cast<size_t>(r)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_NE(e.find("the model"), std::string::npos) << e;
}

TEST(Distributed, LostRankIsNamedAndCheckpointsNeedTheSameWorldSize) {
  auto data = ToyExamples(48, 3);
  TrainerOptions base = ToyOptions(FreshDir("dist_lost"));
  base.max_steps = 20;
  base.save_steps = 2;
  const int port = FreePort();
  auto runs = RunRanks(
      2, [&](int r) { return RankOptions(base, r, 2, port, /*timeout=*/20); }, [&](int) { return data; },
      [&](int r, RankRun& run) {
        for (int i = 0; i < 2; ++i) run.trainer->Step();
        if (r == 1) {
          run.trainer.reset();  // rank 1 leaves: its connections close
          return;
        }
        const auto start = std::chrono::steady_clock::now();
        try {
          for (int i = 0; i < 10; ++i) run.trainer->Step();
        } catch (const Error& e) {
          run.error = e.what();
          run.code = e.code();
        }
        run.losses.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      });
  EXPECT_TRUE(runs[1].error.empty()) << runs[1].error;
  EXPECT_EQ(runs[0].code, ErrorCode::kIo);
  EXPECT_NE(runs[0].error.find("lost rank 1"), std::string::npos) << runs[0].error;
  ASSERT_EQ(runs[0].losses.size(), 1u);
  EXPECT_LT(runs[0].losses[0], 15.0);  // well before the timeout: a closed connection is noticed at once

  // Rank 0 wrote the checkpoint (rank 1 wrote nothing); one process may not resume a 2-rank run.
  ASSERT_TRUE(fs::exists(fs::path(base.output_dir) / "checkpoint-2" / "trainer_state.json"));
  Trainer single(model::Bert(TinyConfig(), 1), ToyTokenizer(), data, nullptr, base);
  try {
    single.Resume();
    ADD_FAILURE() << "resumed a 2-rank checkpoint with 1 process";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("world size 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("world size 1"), std::string::npos) << e.what();
  }
  fs::remove_all(base.output_dir);
}

// A rank that stops answering (hung, not dead) is noticed after the timeout, not waited for forever.
TEST(Distributed, HungRankTimesOut) {
  auto data = ToyExamples(32, 3);
  TrainerOptions base = ToyOptions("");
  base.save_final_model = false;
  const int port = FreePort();
  auto runs = RunRanks(
      2, [&](int r) { return RankOptions(base, r, 2, port, /*timeout=*/2); }, [&](int) { return data; },
      [&](int r, RankRun& run) {
        run.trainer->Step();
        if (r == 1) {
          std::this_thread::sleep_for(std::chrono::seconds(9));  // hung past rank 0's timeout and roll call
          run.trainer.reset();
          return;
        }
        const auto start = std::chrono::steady_clock::now();
        try {
          run.trainer->Step();
        } catch (const Error& e) {
          run.error = e.what();
          run.code = e.code();
        }
        run.losses.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      });
  EXPECT_EQ(runs[0].code, ErrorCode::kIo) << runs[0].error;
  EXPECT_NE(runs[0].error.find("lost rank 1"), std::string::npos) << runs[0].error;
  ASSERT_EQ(runs[0].losses.size(), 1u);
  EXPECT_GE(runs[0].losses[0], 1.5);  // waited for the timeout (2 s)...
  EXPECT_LT(runs[0].losses[0], 8.5);  // ...and the roll call (2 s), not for rank 1
}

}  // namespace
}  // namespace bertc::train
