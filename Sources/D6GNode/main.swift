print("d6g-node")
