"""huntfeed.attack"""
