"""M/M/1 in SimPy, the same model as Brokerscope's benchmark: Poisson arrivals at 0.9/s, exponential
service with mean 1 s, one server. Prints customers per second of wall time and the mean time in system."""
import random
import sys
import time

import simpy

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
LAM, MU = 0.9, 1.0


def run():
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    rng = random.Random(42)
    total = [0.0, 0]

    def customer(arrived):
        with server.request() as req:
            yield req
            yield env.timeout(rng.expovariate(MU))
        total[0] += env.now - arrived
        total[1] += 1

    def source():
        for _ in range(N):
            yield env.timeout(rng.expovariate(LAM))
            env.process(customer(env.now))

    env.process(source())
    start = time.perf_counter()
    env.run()
    wall = time.perf_counter() - start
    print(f"simpy {N} {wall:.3f} {total[0] / total[1]:.3f}")


run()
