"""huntfeed.extract"""
