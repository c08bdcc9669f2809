"""Benchmarks: `hotelbot bench raw|booking|events|contention|all`. None of them is a test."""
