print("d6g-bench")
